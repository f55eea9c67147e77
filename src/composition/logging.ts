import path from 'node:path';
import { makeDirSync } from '../adapters/fs/make-dir';
import { WinstonLogger } from '../adapters/logging/winston-logger';
import type { CliOptions } from './cli-args';
import { UnwritableFolderError } from './unwritable-folder';

/**
 * The process's logger: a file by default (created with its folder), or stderr with `--log-file -`.
 * It is the first thing a client or server writes, so a data directory that cannot be used is
 * told here (UnwritableFolderError).
 */
export function createLogger(options: CliOptions, defaultFile: string, label: string): WinstonLogger {
  const file = options.logFile ?? defaultFile;
  if (file !== '-') {
    const folder = path.dirname(path.resolve(file));
    try {
      makeDirSync(folder);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const flag = options.logFile === undefined ? '--data-dir' : '--log-file';
      throw new UnwritableFolderError(`cannot make the log folder ${folder} (${reason}); give ${flag} a folder you can write`);
    }
  }
  return new WinstonLogger({ file, level: options.logLevel ?? 'info', format: options.logFormat ?? 'text', label });
}
