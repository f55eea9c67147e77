import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { requireRedisServer } from '../support/redis-server';

const ROOT = path.resolve(__dirname, '../..');

function runScript(args: readonly string[], script = 'cluster-test.ts'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // The scaled-down run takes about 50 s here (each kill part waits 8 s of quiet at its end);
    // a loaded CI machine must not turn a slow pass into a failure.
    execFile(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'scripts', script), ...args], { cwd: ROOT, timeout: 180_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

describe('e2e: npm run cluster-test, scaled down', function () {
  this.timeout(240_000);

  before(() => requireRedisServer());

  it('prints the counts of each part, with the negative control losing messages, and exits 0', async () => {
    const result = await runScript(['--kills', '3', '--control-kills', '1', '--trials', '20', '--cutoffs', '2', '--instance-kills', '2', '--seed', '5']);
    expect(result.code, result.stdout + result.stderr).to.equal(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^redis kill -9, appendfsync always: kills=3 restarts=3 attempted=\d+ acked=[1-9]\d* lost=0 duplicated=0 unexpected=0 unanswered=\d+$/);
    expect(lines[1]).to.match(/^negative control, appendonly no: kills=1 restarts=1 attempted=\d+ acked=([1-9]\d*) lost=\1 duplicated=0 unexpected=0 unanswered=\d+$/);
    expect(lines[2]).to.equal('name race: trials=20 one_winner=20 no_winner=0 two_winners=0');
    expect(lines[3]).to.equal('instance cut off: trials=2 attempted=4 acked_while_cut=0 accepted_after_heal=0 taken_over=2 told_fenced=2');
    expect(lines[4]).to.equal('negative control, claim without fencing: trials=1 accepted_after_heal=1');
    expect(lines[5]).to.match(/^instance kill -9: kills=2 attempted=\d+ acked=[1-9]\d* lost=0 duplicated=0 unexpected=0 unanswered=\d+ exited=0 served_again_max_ms=\d+$/);
    expect(lines[6]).to.match(/^negative control, recipient never logs in again: kills=1 acked=[1-9]\d* lost=[1-9]\d*$/);
    expect(lines[7]).to.equal('seed=5');
  });

  it('refuses a flag it does not know: the usage, status 2, nothing run', async () => {
    const result = await runScript(['--kill', '5']);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/Unknown option '--kill'/);
    expect(result.stderr).to.match(/^usage: npm run cluster-test/m);
    expect(result.stdout).to.equal('');
  });

  it('bench:cluster refuses a flag it does not know the same way', async () => {
    const result = await runScript(['--save', '5'], 'bench-cluster.ts');
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/Unknown option '--save'/);
    expect(result.stderr).to.match(/^usage: npm run bench:cluster/m);
    expect(result.stdout).to.equal('');
  });
});
