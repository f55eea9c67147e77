import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Run a script the way npm does (ts-node), with its flags; resolves with its status and output. */
function runScript(script: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'scripts', script), ...args], { cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

describe('e2e: the scripts refuse flags they do not know', function () {
  this.timeout(60_000);

  const cases: Array<[string, string[], RegExp]> = [
    ['soak.ts', ['--clinets', '5'], /Unknown option '--clinets'/],
    ['bench.ts', ['--only', '1', 'extra'], /Unexpected argument 'extra'/],
    ['fuzz.ts', ['--count=10', '--sed', '3'], /Unknown option '--sed'/],
    ['crash-test.ts', ['--kill', '5'], /Unknown option '--kill'/],
    ['power-loss.ts', ['--runs', 'many'], /--runs many: expected an integer/],
  ];
  for (const [script, args, message] of cases) {
    it(`${script} ${args.join(' ')}: the usage on stderr, exit status 2, nothing run`, async () => {
      const result = await runScript(script, args);
      expect(result.code, result.stderr).to.equal(2);
      expect(result.stderr).to.match(message);
      expect(result.stderr).to.match(/^usage: npm run /m);
      expect(result.stdout).to.equal('');
    });
  }
});
