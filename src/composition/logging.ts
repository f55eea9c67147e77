import fs from 'node:fs';
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
    const flag = options.logFile === undefined ? '--data-dir' : '--log-file';
    const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));
    try {
      makeDirSync(folder);
    } catch (error) {
      throw new UnwritableFolderError(`cannot make the log folder ${folder} (${reason(error)}); give ${flag} a folder you can write`);
    }
    // Opened once here: winston reports a file it cannot open (a folder, another user's) nowhere.
    try {
      fs.closeSync(fs.openSync(file, 'a'));
    } catch (error) {
      throw new UnwritableFolderError(`cannot write the log file ${path.resolve(file)} (${reason(error)}); give ${flag} ${flag === '--log-file' ? 'a file' : 'a folder'} you can write`);
    }
  }
  return new WinstonLogger({ file, level: options.logLevel ?? 'info', format: options.logFormat ?? 'text', label });
}
