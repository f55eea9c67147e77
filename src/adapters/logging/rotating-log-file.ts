import fs from 'node:fs';
import { Writable } from 'node:stream';

/** Bytes a log file may reach before it is rotated. */
export const LOG_MAX_BYTES = 10 * 1024 * 1024;
/** Rotated files kept beside the current one (`<file>.1` newest … `<file>.5` oldest). */
export const LOG_KEPT_FILES = 5;

export interface RotatingLogFileOptions {
  readonly maxBytes?: number;
  readonly kept?: number;
  /** Told once when a line cannot be written (disk full, file gone): the log never stops the process. */
  readonly onFailure?: (error: Error) => void;
}

/**
 * An append-only log file that never grows past `maxBytes`: before a write that would take
 * it past, `<file>.<kept-1>` … `<file>.1` move up one number (the oldest is dropped), the file
 * becomes `<file>.1`, and a fresh file takes its name. The current lines are always in `<file>`,
 * which is what `tail -f` and a reader expect, a line is never split across two files, and a
 * restarted process goes on from the size on disk, so the files stay bounded across restarts.
 *
 * Written here rather than through winston's File transport: its `maxsize` rotation drops
 * lines written during a rotation and, without `tailable`, numbers files on from the last run
 * (winston issues #1450, #1971, #397; seen dropping 160 of 1,500 lines here with winston 3.19).
 * A write goes through the thread pool like any file stream; the renames of a rotation are
 * synchronous, a handful of system calls once per `maxBytes`, so no line can slip between them.
 * A line that cannot be written is dropped (and reported once through `onFailure`) rather than
 * failing the stream: the chat must go on when the log cannot.
 */
export class RotatingLogFile extends Writable {
  private fd: number | undefined;
  private size: number;
  private readonly maxBytes: number;
  private readonly kept: number;
  private failureTold = false;

  constructor(
    private readonly file: string,
    private readonly options: RotatingLogFileOptions = {},
  ) {
    super({ decodeStrings: true });
    this.maxBytes = options.maxBytes ?? LOG_MAX_BYTES;
    this.kept = Math.max(1, options.kept ?? LOG_KEPT_FILES);
    // A stream error would end the process; every failure is told through onFailure instead.
    this.on('error', (error) => this.tell(error));
    // Opened at once (the command has checked it can be: composition/logging); if it no longer
    // can, lines are dropped until the next rotation is due.
    this.size = 0;
    try {
      this.fd = fs.openSync(file, 'a');
      this.size = fs.fstatSync(this.fd).size;
    } catch (error) {
      this.tell(error as Error);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.size > 0 && this.size + chunk.length > this.maxBytes) this.rotate();
    const fd = this.fd;
    if (fd === undefined) return this.dropped(new Error(`log file ${this.file} is not open`), done);
    this.size += chunk.length;
    fs.write(fd, chunk, (error) => (error ? this.dropped(error, done) : done()));
  }

  override _final(done: (error?: Error | null) => void): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return done();
    fs.close(fd, () => done());
  }

  private rotate(): void {
    let moved = true;
    try {
      if (this.fd !== undefined) fs.closeSync(this.fd);
      this.fd = undefined;
      for (let n = this.kept - 1; n >= 1; n--) renameIfThere(`${this.file}.${n}`, `${this.file}.${n + 1}`);
      fs.renameSync(this.file, `${this.file}.1`);
    } catch (error) {
      moved = false;
      this.tell(error as Error);
    }
    // Whatever happened above, go on writing to the file's name (appending if it did not move,
    // and trying again only after another `maxBytes`, not at every line).
    try {
      this.fd = fs.openSync(this.file, 'a');
      this.size = moved ? fs.fstatSync(this.fd).size : 0;
    } catch (error) {
      this.tell(error as Error);
    }
  }

  private dropped(error: Error, done: () => void): void {
    this.tell(error);
    done();
  }

  private tell(error: Error): void {
    if (this.failureTold) return;
    this.failureTold = true;
    this.options.onFailure?.(error);
  }
}

function renameIfThere(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
