import type { Logger } from '../../src/application/ports/logger';

/** A logger that keeps entries in memory, so tests can assert on warnings without printing them. */
export class RecordingLogger implements Logger {
  readonly entries: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];

  debug(message: string, fields?: Record<string, unknown>): void {
    this.add('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.add('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.add('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.add('error', message, fields);
  }

  private add(level: string, message: string, fields?: Record<string, unknown>): void {
    if (this.entries.length < 10_000) this.entries.push({ level, message, ...(fields ? { fields } : {}) });
  }
}
