import winston from 'winston';
import type { Logger } from '../../application/ports/logger';

export interface LoggerOptions {
  /** A file path, '-' for stderr, or undefined to log nothing. */
  readonly file: string | undefined;
  readonly level: string;
  readonly format: 'text' | 'json';
  /** Names the process in every line (e.g. `server:5000`, `client:x`). */
  readonly label: string;
}

/**
 * The operational log through winston: to a file, or to stderr with `-`, never to stdout
 * where the chat lines go.
 */
export class WinstonLogger implements Logger {
  private readonly logger: winston.Logger;

  constructor(options: LoggerOptions) {
    const format =
      options.format === 'json'
        ? winston.format.combine(winston.format.timestamp(), winston.format.label({ label: options.label }), winston.format.json())
        : winston.format.combine(
            winston.format.timestamp(),
            winston.format.printf(({ timestamp, level, message, ...rest }) => {
              const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
              return `${String(timestamp)} ${options.label} ${level}: ${String(message)}${fields}`;
            }),
          );
    const transports: winston.transport[] =
      options.file === undefined
        ? [new winston.transports.Console({ silent: true })]
        : options.file === '-'
          ? [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })]
          : [new winston.transports.File({ filename: options.file })];
    this.logger = winston.createLogger({ level: options.level, format, transports });
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.logger.debug(message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.logger.info(message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.logger.warn(message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.logger.error(message, fields);
  }

  /** Wait until every line is written (before the process exits). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.logger.on('finish', () => resolve());
      this.logger.end();
      setTimeout(resolve, 200).unref();
    });
  }
}
