import type winston from 'winston';
import type { Logger } from '../../application/ports/logger';

export interface LoggerOptions {
  /** A file path, '-' for stderr, or undefined to log nothing. */
  readonly file: string | undefined;
  readonly level: string;
  readonly format: 'text' | 'json';
  /** Names the process in every line (e.g. `server:5000`, `client:x`). */
  readonly label: string;
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

  /** Wait until every line is written (before the process exits). */
  close(): Promise<void> {
    const logger = this.logger;
    if (!logger) return Promise.resolve();
    return new Promise((resolve) => {
      logger.on('finish', () => resolve());
      logger.end();
      setTimeout(resolve, 200).unref();
    });
  }

  private write(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> | undefined): void {
    if (LEVELS[level]! > this.threshold) return;
    this.logger ??= createWinston(this.options);
    this.logger.log(level, message, fields);
  }
}

function createWinston(options: LoggerOptions): winston.Logger {
  // Required here, not imported at the top: see the class comment.
  const w = require('winston') as typeof winston;
  const format =
    options.format === 'json'
      ? w.format.combine(w.format.timestamp(), w.format.label({ label: options.label }), w.format.json())
      : w.format.combine(
          w.format.timestamp(),
          w.format.printf(({ timestamp, level, message, ...rest }) => {
            const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${options.label} ${level}: ${String(message)}${fields}`;
          }),
        );
  const transports: winston.transport[] =
    options.file === undefined
      ? [new w.transports.Console({ silent: true })]
      : options.file === '-'
        ? [new w.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })]
        : [new w.transports.File({ filename: options.file })];
  return w.createLogger({ level: options.level, format, transports });
}
