/** How a printed line is meant to look; the console decides whether that means colour. */
export type LineStyle = 'status' | 'error' | 'message' | 'channel' | 'plain';

const RESET = '\x1b[0m';

/** SGR codes per style. Plain lines are left alone so tables and help stay easy to read. */
const SGR: Readonly<Record<LineStyle, string | undefined>> = {
  status: '\x1b[2m',
  error: '\x1b[1;31m',
  message: undefined,
  channel: '\x1b[35m',
  plain: undefined,
};

/** Bold cyan for the sender of a direct message, so who said it stands out from what was said. */
const SENDER = '\x1b[1;36m';

/**
 * Wraps an already rendered, terminal-safe line in ANSI colour. Call it only for a colour
 * terminal: piped output must stay byte-for-byte the SPEC lines.
 */
export function paint(line: string, style: LineStyle): string {
  if (style === 'message') return paintSender(line);
  const code = SGR[style];
  return code === undefined ? line : `${code}${line}${RESET}`;
}

/**
 * Colours `<sender>` in `>>> <sender>: <text>`. Names cannot contain ':' (SPEC §5), so the
 * first ': ' ends the sender; a line that does not look like that is left as it is.
 */
function paintSender(line: string): string {
  const prefix = '>>> ';
  const end = line.indexOf(': ', prefix.length);
  if (!line.startsWith(prefix) || end < 0) return line;
  return `${prefix}${SENDER}${line.slice(prefix.length, end)}${RESET}${line.slice(end)}`;
}
