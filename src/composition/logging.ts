import fs from 'node:fs';
import path from 'node:path';
import { WinstonLogger } from '../adapters/logging/winston-logger';
import type { CliOptions } from './cli-args';

/** The process's logger: a file by default (created with its folder), or stderr with `--log-file -`. */
export function createLogger(options: CliOptions, defaultFile: string, label: string): WinstonLogger {
  const file = options.logFile ?? defaultFile;
  if (file !== '-') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return new WinstonLogger({ file, level: options.logLevel ?? 'info', format: options.logFormat ?? 'text', label });
}
