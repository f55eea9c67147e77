/**
 * Makes untrusted text safe to print: every control character (C0, DEL, C1), and the
 * Unicode bidi overrides and isolates that can reorder a line, are shown as visible
 * escapes, so a name or message can never move the cursor, recolour the terminal or
 * span two lines.
 */
export function terminalSafe(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\\') out += '\\\\';
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (isBidiControl(cp) || cp === 0x2028 || cp === 0x2029) out += `\\u{${cp.toString(16)}}`;
    else out += ch;
  }
  return out;
}

function isBidiControl(cp: number): boolean {
  return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x200e || cp === 0x200f || cp === 0x061c;
}
