import { main } from './main';

/**
 * Process entry point: runs `main` and ends the process with its status. Stdin is released
 * first so an idle terminal does not keep the process alive.
 */
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    process.stdin.pause();
    setImmediate(() => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(`chatapp: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
