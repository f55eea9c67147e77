import type { ServiceIdentifier } from 'inversify';

/** Operational log (never the chat console): one line per notable event. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const Logger: ServiceIdentifier<Logger> = Symbol('Logger');
