import { PassThrough } from 'node:stream';

/**
 * A fake terminal for the console UI: a keyboard (input) and a screen (output) that
 * interprets the cursor and erase sequences readline writes, with xterm's deferred
 * autowrap. Tests assert on the rows a user would see, not on escape-code soup.
 */
export class FakeTerminal {
  readonly input = new PassThrough();
  readonly output: PassThrough & { columns?: number } = new PassThrough();
  /** Everything written to the screen, escape codes included. */
  raw = '';
  private screen: string[][] = [[]];
  private row = 0;
  private col = 0;
  private pendingWrap = false;

  constructor(columns?: number) {
    // readline reads `columns` to know where input wraps; a PassThrough has none by default.
    if (columns !== undefined) this.output.columns = columns;
    this.output.setEncoding('utf8');
    this.output.on('data', (chunk: string) => {
      this.raw += chunk;
      this.interpret(chunk);
    });
  }

  /**
   * Types keys one at a time, as a person does, waiting after each until readline (and its
   * async Tab completion) has handled it. An escape sequence such as an arrow is one key.
   */
  async type(keys: string): Promise<void> {
    for (const [key] of keys.matchAll(/\x1b\[[0-9;]*[A-Za-z~]|[\s\S]/gu)) {
      this.input.write(key);
      await settle();
    }
  }

  /** Sends text in one chunk, as a paste does: readline then inserts Tabs literally. */
  async paste(text: string): Promise<void> {
    this.input.write(text);
    await settle();
  }

  /** The visible rows, trailing blanks trimmed, empty trailing rows dropped. */
  rows(): string[] {
    const rows = this.screen.map((r) => r.map((c) => c || ' ').join('').trimEnd());
    while (rows.length > 0 && rows[rows.length - 1] === '') rows.pop();
    return rows;
  }

  cursor(): { row: number; col: number } {
    return { row: this.row, col: this.col };
  }

  destroy(): void {
    this.input.destroy();
    this.output.destroy();
  }

  private get columns(): number {
    return this.output.columns ?? Number.MAX_SAFE_INTEGER;
  }

  private interpret(chunk: string): void {
    const re = /\x1b\[([0-9;]*)([A-Za-z])|([\s\S])/gu;
    for (const m of chunk.matchAll(re)) {
      if (m[3] !== undefined) this.put(m[3]);
      else this.control(m[1] ?? '', m[2]!);
    }
  }

  private control(params: string, final: string): void {
    const [a, b] = params.split(';').map((p) => (p === '' ? undefined : Number(p)));
    const n = a ?? 1;
    this.pendingWrap = false;
    switch (final) {
      case 'A': this.row = Math.max(0, this.row - n); break;
      case 'B': this.row += n; break;
      case 'C': this.col = Math.min(this.columns - 1, this.col + n); break;
      case 'D': this.col = Math.max(0, this.col - n); break;
      case 'G': this.col = n - 1; break;
      case 'H': this.row = n - 1; this.col = (b ?? 1) - 1; break;
      case 'J': this.line().length = this.col; this.screen.length = Math.min(this.screen.length, this.row + 1); break;
      case 'K': this.eraseInLine(a ?? 0); break;
      case 'm': break; // colour: no effect on the text
      default: throw new Error(`FakeTerminal: unsupported sequence ESC[${params}${final}`);
    }
  }

  private eraseInLine(mode: number): void {
    const line = this.line();
    if (mode === 0) line.length = Math.min(line.length, this.col);
    else if (mode === 1) for (let i = 0; i <= this.col && i < line.length; i++) line[i] = ' ';
    else line.length = 0;
  }

  private put(ch: string): void {
    if (ch === '\r') {
      this.col = 0;
      this.pendingWrap = false;
    } else if (ch === '\n') {
      // A tty in raw mode keeps ONLCR, so '\n' also returns the carriage.
      this.row += 1;
      this.col = 0;
      this.pendingWrap = false;
    } else {
      if (this.pendingWrap) {
        this.row += 1;
        this.col = 0;
        this.pendingWrap = false;
      }
      const line = this.line();
      while (line.length < this.col) line.push(' ');
      line[this.col] = ch;
      if (this.col === this.columns - 1) this.pendingWrap = true;
      else this.col += 1;
    }
  }

  private line(): string[] {
    while (this.screen.length <= this.row) this.screen.push([]);
    return this.screen[this.row]!;
  }
}

/** Lets streams, readline's keypress decoder and promise-based completion run to rest. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
