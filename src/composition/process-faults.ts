import type { WinstonLogger } from '../adapters/logging/winston-logger';

/** Exit status after an uncaught exception (EX_SOFTWARE: an internal error). */
export const EXIT_UNCAUGHT = 70;

/** Longest wait for the log to be written before the process ends after an uncaught exception. */
const FLUSH_BEFORE_EXIT_MS = 1000;

/**
 * The process-level policy for failures nothing else handled:
 * - an unhandled promise rejection is logged (error, with its stack) and the process keeps
 *   serving: every request is handled in its own promise, so one that failed leaves the others,
 *   and the state they share, as they were;
 * - an uncaught exception (a synchronous throw out of a callback) is logged, one line goes to
 *   stderr, and the process ends with status 70: after such a throw the state it interrupted is
 *   unknown, and every store is crash-safe (the server survives kill -9), so ending is the safe
 *   choice.
 * Before a node has its logger (the interactive start), both go to stderr.
 */
export class ProcessFaults {
  private logger: WinstonLogger | undefined;
  private ending = false;

  constructor(private readonly proc: NodeJS.Process) {}

  install(): void {
    this.proc.on('unhandledRejection', (reason) => this.onRejection(reason));
    this.proc.on('uncaughtException', (error) => this.onException(error));
  }

  /** The log of the node now running; undefined again once it is closed. */
  useLogger(logger: WinstonLogger | undefined): void {
    this.logger = logger;
  }

  private onRejection(reason: unknown): void {
    const fields = describe(reason);
    if (this.logger) this.logger.error('unhandled rejection; the process keeps running', fields);
    else this.proc.stderr.write(`chatapp: unhandled rejection (the process keeps running): ${fields.error}\n`);
  }

  private onException(error: unknown): void {
    const fields = describe(error);
    this.proc.stderr.write(`chatapp: unexpected failure, exiting: ${fields.error}\n`);
    if (this.ending) return;
    this.ending = true;
    const exit = (): never => this.proc.exit(EXIT_UNCAUGHT);
    const logger = this.logger;
    if (!logger) return exit();
    logger.error('uncaught exception; the process ends', fields);
    const timer = setTimeout(exit, FLUSH_BEFORE_EXIT_MS);
    const flushed = (): never => {
      clearTimeout(timer);
      return exit();
    };
    logger.close().then(flushed, flushed);
  }
}

function describe(value: unknown): { error: string; stack?: string } {
  if (value instanceof Error) return { error: value.message, ...(value.stack ? { stack: value.stack } : {}) };
  return { error: String(value) };
}
