import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as readlineTypes from 'node:readline';
import { paint, type LineStyle } from './colors';

export type { LineStyle } from './colors';

/** The prompt of an interactive client. */
export const PROMPT = '>>> ';

/** How many typed lines are remembered, in memory and in the history file. */
export const HISTORY_MAX_ENTRIES = 1000;

/** Commands whose second word is a client name, so Tab completes it from the table. */
const NAME_TAKING_COMMANDS: ReadonlySet<string> = new Set(['send', 'dereg', 'reg']);

export interface ConsoleUiOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** true: interactive readline with prompt '>>> ', redraw, history, Tab completion. false: piped mode. */
  terminal: boolean;
  /** ANSI colour for styled lines (caller decides: only on a TTY and when NO_COLOR is unset). */
  color: boolean;
  /** Where history is loaded from/saved to (terminal mode only); undefined = no persistence. */
  historyFile?: string;
  /** Sources for Tab completion. */
  completions: () => { commands: string[]; names: string[] };
  /** The prompt on a terminal; PROMPT unless given (the interactive start uses `$ `). */
  prompt?: string;
}

/**
 * The console of a client or server: reads typed lines and prints chat lines.
 *
 * On a terminal it keeps a `>>> ` prompt that incoming lines never garble: each printed line
 * goes above the prompt, and the prompt with whatever the user has half-typed is redrawn
 * below it. Piped, it is a plain line reader and writer, so scripts and graders see exactly
 * the SPEC §2 lines.
 */
export class ConsoleUi {
  private rl: readlineTypes.Interface | undefined;
  private closed = false;
  /** readline saw the end of input (it may still be held, with lines to hand over). */
  private inputEnded = false;
  /** Lines arriving while held wait here, in order, and the end of input after them. */
  private held = false;
  private heldLines: string[] = [];
  private heldEnd = false;
  /** Piped mode: lines printed in this turn of the event loop, written together at its end. */
  private gathered: string[] = [];
  private gatheredWaiters: Array<() => void> = [];
  private flushScheduled = false;
  private lineHandler: (line: string) => void = () => {};
  private closeHandler: (reason: 'eof' | 'interrupt') => void = () => {};

  constructor(private readonly options: ConsoleUiOptions) {
    // An output that went away (a terminal closed, a pipe's reader gone: `| head`) fails
    // writes with EIO or EPIPE, from the first line printed on, before the console reads: the
    // lines are lost, the client goes on (its input ends it), and nothing is thrown.
    options.output.on('error', () => undefined);
  }

  /** Sets the handler for each entered line (replacing any earlier one). */
  onLine(handler: (line: string) => void): void {
    this.lineHandler = handler;
  }

  /**
   * End of input (Ctrl-D / stream end) or Ctrl-C at the prompt: the caller does a silent leave.
   * Called at most once, never for the caller's own close(); replaces any earlier handler.
   */
  onClose(handler: (reason: 'eof' | 'interrupt') => void): void {
    this.closeHandler = handler;
  }

  /**
   * Changes what a later phase of the same session needs: one console, one readline, from the
   * interactive start's `$ ` prompt to the client's `>>> `. A history file given here replaces
   * the history typed so far.
   */
  configure(changes: Partial<Pick<ConsoleUiOptions, 'prompt' | 'historyFile' | 'completions'>>): void {
    Object.assign(this.options, changes);
    const rl = this.rl;
    if (!rl || !this.options.terminal) return;
    if (changes.prompt !== undefined) rl.setPrompt(changes.prompt);
    if (changes.historyFile !== undefined) (rl as unknown as { history: string[] }).history = loadHistory(changes.historyFile);
  }

  /**
   * Keep the lines entered from now on (and the end of input) until the next start(): what is
   * typed while a client registers is run, in order, once it is online.
   */
  hold(): void {
    this.held = true;
  }

  /** Begins reading; on a console already reading but held, hands over the held lines first. */
  start(): void {
    if (this.closed) return;
    if (this.rl) return this.release();
    const { input, output, terminal } = this.options;
    const rl = terminal
      ? readline().createInterface({
          input,
          output,
          terminal: true,
          prompt: this.options.prompt ?? PROMPT,
          historySize: HISTORY_MAX_ENTRIES,
          history: this.options.historyFile ? loadHistory(this.options.historyFile) : [],
          removeHistoryDuplicates: true,
          completer: (line: string): [string[], string] => completeLine(line, this.options.completions()),
        })
      : // No output: in piped mode readline must never write anything of its own.
        readline().createInterface({ input, terminal: false });
    this.rl = rl;
    // A terminal that went away (its window closed, a hang-up) fails reads and writes with EIO:
    // that is the end of input, a silent leave, never an uncaught error.
    // readline hands its input's errors on to the interface, where an unheard one would be thrown.
    const inputFailed = (): void => {
      this.inputEnded = true;
      if (!this.closed && !this.held) this.endOfInput();
    };
    rl.on('error', inputFailed);

    rl.on('line', (line) => {
      // Piped readline can still emit lines buffered in the same chunk after close().
      if (this.closed) return;
      if (this.held) {
        this.heldLines.push(line);
        return;
      }
      this.lineHandler(line);
      if (terminal && !this.closed && !this.held) rl.prompt();
    });
    rl.on('close', () => {
      this.inputEnded = true;
      if (this.closed) return;
      if (this.held) {
        this.heldEnd = true;
        return;
      }
      this.endOfInput();
    });
    if (terminal) {
      // With a listener, readline hands Ctrl-C to us instead of just pausing the input.
      rl.on('SIGINT', () => this.finish('interrupt'));
      rl.on('history', (history: string[]) => {
        const file = this.options.historyFile;
        if (file) saveHistory(file, history);
      });
      rl.prompt();
    }
  }

  private release(): void {
    if (!this.held) return;
    this.held = false;
    while (this.heldLines.length > 0 && !this.closed && !this.held) this.lineHandler(this.heldLines.shift()!);
    if (this.closed || this.held) return;
    if (this.heldEnd) return this.endOfInput();
    if (this.options.terminal) this.rl?.prompt();
  }

  private endOfInput(): void {
    this.flush();
    this.closed = true;
    this.clearPromptRow();
    this.closeHandler('eof');
  }

  /**
   * Print one complete line. In terminal mode it appears above the prompt and the prompt plus
   * the half-typed input are redrawn below it, never garbled. In piped mode it is written
   * exactly as given plus '\n', nothing else (no prompt, no colour, no escape codes).
   */
  print(line: string, style: LineStyle = 'plain'): void {
    const { terminal, color, output } = this.options;
    if (!terminal) {
      // The first line of a turn of the event loop goes out at once (a lone message waits for
      // nothing); the lines after it in the same turn go out together at its end, so a burst
      // of messages and ACKs costs a few system calls instead of one each (see written()).
      if (this.flushScheduled) {
        this.gathered.push(line);
        return;
      }
      output.write(`${line}\n`);
      this.flushScheduled = true;
      setImmediate(() => this.flush());
      return;
    }
    const text = color ? paint(line, style) : line;
    const rl = this.rl;
    if (!rl || this.closed || this.inputEnded) {
      // Lines that finish in-flight work after the prompt is gone still belong on screen.
      output.write(`${text}\n`);
      return;
    }
    // Erase the whole prompt block, which may wrap over several rows, from its first row.
    const { rows } = rl.getCursorPos();
    readline().moveCursor(output, 0, -rows);
    readline().cursorTo(output, 0);
    readline().clearScreenDown(output);
    // prompt(true) starts by moving up the rows readline believes the cursor is below the
    // prompt's first row (its `prevRows`, which goes stale while text is pasted); the blank rows
    // written here give it exactly that room, so the redraw starts right below the printed line.
    output.write(`${text}\n${'\n'.repeat(readlineRowsBelowPrompt(rl))}`);
    rl.prompt(true);
  }

  /**
   * Resolves once every line printed so far has been handed to the output. Piped, lines wait
   * for the end of the current turn of the event loop; a client ACKs a message only after its
   * line is out, so a client killed before then shows it again rather than never.
   */
  written(): Promise<void> {
    if (this.gathered.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.gatheredWaiters.push(resolve));
  }

  /** True when every line printed so far has been handed to the output (what written() resolves at once for). */
  allWritten(): boolean {
    return this.gathered.length === 0;
  }

  /** Write the gathered lines now (before anything else writes to the same output). */
  flush(): void {
    this.flushScheduled = false;
    if (this.gathered.length > 0) {
      const text = `${this.gathered.join('\n')}\n`;
      this.gathered = [];
      this.options.output.write(text);
    }
    const waiters = this.gatheredWaiters;
    this.gatheredWaiters = [];
    for (const w of waiters) w();
  }

  /** Stops reading, without calling the close handler: the caller is already shutting down. */
  close(): void {
    this.finish(undefined);
  }

  private finish(reason: 'interrupt' | undefined): void {
    this.flush();
    if (this.closed) return;
    this.closed = true;
    this.clearPromptRow();
    try {
      this.rl?.close();
    } catch {
      // Closing restores the terminal's mode, which fails (EIO) when the terminal is gone.
    }
    if (reason) this.closeHandler(reason);
  }

  /** Leaves no dangling `>>> ` behind, so the shell's prompt starts on a clean row. */
  private clearPromptRow(): void {
    const rl = this.rl;
    if (!this.options.terminal || !rl) return;
    const { rows } = rl.getCursorPos();
    readline().moveCursor(this.options.output, 0, -rows);
    readline().cursorTo(this.options.output, 0);
    readline().clearScreenDown(this.options.output);
  }
}

/**
 * readline's own record of the cursor's row inside the prompt block. It is not in the typings
 * but has been a plain field since Node 0.x; if it ever disappears, a wrapped input just leaves
 * blank rows above the redrawn prompt, nothing worse.
 */
/**
 * node:readline, loaded when the console first reads (after a client registered) or redraws,
 * not at start: its loading would come before the welcome line for nothing.
 */
function readline(): typeof readlineTypes {
  return require('node:readline') as typeof readlineTypes;
}

function readlineRowsBelowPrompt(rl: readlineTypes.Interface): number {
  const prevRows = (rl as unknown as { prevRows?: unknown }).prevRows;
  return typeof prevRows === 'number' && prevRows > 0 ? prevRows : 0;
}

/**
 * Tab completion for a line typed so far: the first word against the commands, the second
 * word of a name-taking command against the names (case-insensitively, as names are).
 * A single match gets a trailing space so the user can type on.
 */
export function completeLine(line: string, sources: { commands: string[]; names: string[] }): [string[], string] {
  const words = line.replace(/^\s+/, '').split(/\s+/);
  if (words.length === 1) return complete(words[0]!, sources.commands);
  if (words.length === 2 && NAME_TAKING_COMMANDS.has(words[0]!)) return complete(words[1]!, sources.names);
  return [[], line];
}

function complete(word: string, candidates: string[]): [string[], string] {
  const prefix = word.toLowerCase();
  const hits = [...new Set(candidates)].filter((c) => c.toLowerCase().startsWith(prefix)).sort();
  return [hits.length === 1 ? [`${hits[0]} `] : hits, word];
}

/** Reads a history file (oldest line first, like a shell's) into readline's newest-first order. */
function loadHistory(file: string): string[] {
  try {
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
    return lines.slice(-HISTORY_MAX_ENTRIES).reverse();
  } catch {
    return [];
  }
}

/**
 * Rewrites the history file from readline's newest-first list, through a temporary file and a
 * rename so a crash never leaves it half written. History is a convenience: failures to write
 * are ignored rather than interrupting the chat. Mode 0600 because it holds private messages.
 */
function saveHistory(file: string, history: readonly string[]): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    // Not `recursive`: Node's mkdir -p never ends where a parent cannot hold the folder (under
    // /proc, a dangling link). The client's data directory exists once a line has been typed.
    if (!existsSync(dirname(file))) mkdirSync(dirname(file));
    const body = history.slice(0, HISTORY_MAX_ENTRIES).reverse().join('\n');
    writeFileSync(temp, `${body}\n`, { mode: 0o600 });
    renameSync(temp, file);
  } catch {
    // Ignored: see above.
  }
}
