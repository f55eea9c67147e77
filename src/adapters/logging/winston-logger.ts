import type winston from 'winston';
import type { Logger } from '../../application/ports/logger';
import { RotatingLogFile } from './rotating-log-file';

export interface LoggerOptions {
  /** A file path, '-' for stderr, or undefined to log nothing. */
  readonly file: string | undefined;
  readonly level: string;
  readonly format: 'text' | 'json';
  /** Names the process in every line (e.g. `server:5000`, `client:x`). */
  readonly label: string;
  /** Bytes a log file reaches before it is rotated, and rotated files kept (defaults: see RotatingLogFile). */
  readonly maxBytes?: number;
  readonly kept?: number;
}

/** winston's default (npm) levels: a line is written when its level is at most the logger's. */
const LEVELS: Readonly<Record<string, number>> = { error: 0, warn: 1, info: 2, http: 3, verbose: 4, debug: 5, silly: 6 };

/**
 * The operational log through winston: to a file, or to stderr with `-`, never to stdout
 * where the chat lines go.
 *
 * winston is loaded at the first line the level lets through, not before: a client usually
 * writes none until it stops, and loading winston and its dependencies costs a start-up tens
 * of milliseconds and the process a few MiB it would otherwise never use.
 */
export class WinstonLogger implements Logger {
  private logger: winston.Logger | undefined;
  private file: RotatingLogFile | undefined;
  /** The transport the lines go through: its 'finish' means winston has handed it every line. */
  private transport: winston.transport | undefined;
  private readonly threshold: number;

  constructor(private readonly options: LoggerOptions) {
    this.threshold = LEVELS[options.level] ?? LEVELS['info']!;
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.write('debug', message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.write('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.write('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.write('error', message, fields);
  }

  /** Wait until every line is written to the file (before the process exits), 200 ms at most. */
  close(): Promise<void> {
    const logger = this.logger;
    if (!logger) return Promise.resolve();
    const { file, transport } = this;
    return new Promise((resolve) => {
      // The logger's own 'finish' can come before its transports have written the last lines;
      // the transport's comes after. winston's Stream transport leaves its stream open: end it then.
      if (file && transport) transport.on('finish', () => file.end(() => resolve()));
      else logger.on('finish', () => resolve());
      logger.end();
      setTimeout(resolve, 200).unref();
    });
  }

  private write(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> | undefined): void {
    if (LEVELS[level]! > this.threshold) return;
    this.logger ??= this.create();
    this.logger.log(level, message, fields);
  }

  private create(): winston.Logger {
    // Required here, not imported at the top: see the class comment.
    const w = require('winston') as typeof winston;
    const { file, maxBytes, kept } = this.options;
    if (file === undefined) this.transport = new w.transports.Console({ silent: true });
    else if (file === '-') this.transport = new w.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] });
    else {
      this.file = new RotatingLogFile(file, {
        ...(maxBytes !== undefined ? { maxBytes } : {}),
        ...(kept !== undefined ? { kept } : {}),
        onFailure: (error) => process.stderr.write(`chatapp: cannot write the log file ${file} (${error.message}); log lines are dropped while it cannot be\n`),
      });
      this.transport = new w.transports.Stream({ stream: this.file });
    }
    return w.createLogger({ level: this.options.level, format: lineFormat(w, this.options), transports: [this.transport] });
  }
}

function lineFormat(w: typeof winston, options: LoggerOptions): winston.Logform.Format {
  return options.format === 'json'
    ? w.format.combine(w.format.timestamp(), w.format.label({ label: options.label }), w.format.json())
    : w.format.combine(
        w.format.timestamp(),
        w.format.printf(({ timestamp, level, message, ...rest }) => {
          const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
          return `${String(timestamp)} ${options.label} ${level}: ${String(message)}${fields}`;
        }),
      );
}
