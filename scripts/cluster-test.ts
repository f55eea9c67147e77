import { runInstanceKills } from '../test/support/instance-kill-run';
import { runCutOff, runNameRace, runRedisKills, type KillFigures } from '../test/support/redis-cluster-run';
import { numberFlag, parseFlags } from './script-flags';

/**
 * `npm run cluster-test`: the parts of issue 11's cluster test that exist so far, each against
 * a redis-server of its own (Debian's, on a free loopback port, in a temp dir):
 *
 * - Redis `kill -9` + restart on the same dir, `--kills` times, under a stream of durable saves
 *   through the Redis mailbox store (`appendonly yes`, `appendfsync always`): Jepsen-style
 *   counts; lost, duplicated and unexpected must be 0 and every restart must come up by itself;
 * - the same with `appendonly no` for `--control-kills` kills, a negative control: it must
 *   report lost > 0, or the checker could not fail;
 * - a name race, `--trials` times: two instances (two connections) claim one free name at once
 *   through the Redis table feed; exactly one must win every time.
 *
 * - `kill -9` of a random one of three `chatapp -s --redis` instances, `--instance-kills` times
 *   (each started again on its port a moment later), while five `chatapp -c` clients type saves
 *   to an offline recipient, `send_all`s and dereg/reg cycles: counted from what the clients
 *   print, every ACKed message must be shown once, no client may exit, and every client must be
 *   served again within 5 s of each kill;
 * - an instance cut off from Redis, `--cutoffs` times: its traffic goes through an in-process
 *   TCP proxy that black-holes it; nothing it writes meanwhile may be answered, a survivor must
 *   take its client over, and after healing its queued claim under the old id must be refused
 *   (fenced) and its heartbeat must say it was declared dead.
 *
 * A process kill leaves written-but-unsynced AOF bytes in the page cache, so it cannot tell
 * `always` from `everysec`; only an OS crash could.
 */

const USAGE = `usage: npm run cluster-test -- [--kills N] [--control-kills N] [--trials N] [--seed N]
  --kills N          Redis kill -9s with appendfsync always (default 200)
  --control-kills N  kill -9s of the negative control, appendonly no (default 3)
  --trials N         name race trials (default 1000)
  --cutoffs N        instance cut-off trials (default 20)
  --instance-kills N kill -9s of a server instance under load (default 100; 0 skips them)
  --seed N           seed of the kill schedule (default: random, printed)
  --help             this text`;

function format(label: string, f: KillFigures): string {
  return `${label}: kills=${f.kills} restarts=${f.restarts} attempted=${f.attempted} acked=${f.acked} lost=${f.lost} duplicated=${f.duplicated} unexpected=${f.unexpected} unanswered=${f.unanswered}`;
}

async function main(): Promise<number> {
  const values = parseFlags('cluster-test', USAGE, process.argv.slice(2), {
    kills: { type: 'string' },
    'control-kills': { type: 'string' },
    trials: { type: 'string' },
    cutoffs: { type: 'string' },
    'instance-kills': { type: 'string' },
    seed: { type: 'string' },
    help: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const kills = numberFlag('cluster-test', USAGE, 'kills', values.kills, 1, 100_000, true) ?? 200;
  const controlKills = numberFlag('cluster-test', USAGE, 'control-kills', values['control-kills'], 1, 1_000, true) ?? 3;
  const trials = numberFlag('cluster-test', USAGE, 'trials', values.trials, 1, 1_000_000, true) ?? 1000;
  const instanceKills = numberFlag('cluster-test', USAGE, 'instance-kills', values['instance-kills'], 0, 10_000, true) ?? 100;
  const cutoffs = numberFlag('cluster-test', USAGE, 'cutoffs', values.cutoffs, 1, 10_000, true) ?? 20;
  const seed = numberFlag('cluster-test', USAGE, 'seed', values.seed, 0, 2 ** 31 - 1, true) ?? Math.floor(Math.random() * 0x7fffffff);
  const progress = (line: string): void => {
    process.stderr.write(`  ${line}\n`);
  };
  process.stderr.write(`cluster test: ${kills} Redis kills, ${controlKills} control kills, ${trials} name race trials, ${cutoffs} cut-offs, ${instanceKills} instance kills, seed ${seed}\n`);
  const durable = await runRedisKills({ kills, seed, progress });
  const control = await runRedisKills({ kills: controlKills, seed, redis: { appendonly: 'no' } });
  const race = await runNameRace({ trials });
  const cut = await runCutOff({ trials: cutoffs });
  const unfenced = await runCutOff({ trials: 1, unfenced: true });
  const instances = instanceKills > 0 ? await runInstanceKills({ kills: instanceKills, seed, progress }) : undefined;
  const unvisited = instanceKills > 0 ? await runInstanceKills({ kills: 1, seed, skipFinalLogIn: true }) : undefined;
  process.stdout.write(`${format('redis kill -9, appendfsync always', durable)}\n`);
  process.stdout.write(`${format('negative control, appendonly no', control)}\n`);
  process.stdout.write(`name race: trials=${race.trials} one_winner=${race.oneWinner} no_winner=${race.noWinner} two_winners=${race.twoWinners}\n`);
  process.stdout.write(
    `instance cut off: trials=${cut.trials} attempted=${cut.attempted} acked_while_cut=${cut.ackedWhileCut} accepted_after_heal=${cut.acceptedAfterHeal} taken_over=${cut.takenOver} told_fenced=${cut.toldFenced}\n`,
  );
  process.stdout.write(`negative control, claim without fencing: trials=${unfenced.trials} accepted_after_heal=${unfenced.acceptedAfterHeal}\n`);
  if (instances) {
    const f = instances;
    process.stdout.write(
      `instance kill -9: kills=${f.kills} attempted=${f.attempted} acked=${f.acked} lost=${f.lost} duplicated=${f.duplicated} unexpected=${f.unexpected} unanswered=${f.unanswered} exited=${f.exited} served_again_max_ms=${Number.isFinite(f.servedAgainMaxMs) ? Math.round(f.servedAgainMaxMs) : 'never'}\n`,
    );
  }
  if (unvisited) process.stdout.write(`negative control, recipient never logs in again: kills=${unvisited.kills} acked=${unvisited.acked} lost=${unvisited.lost}\n`);
  process.stdout.write(`seed=${seed}\n`);
  const problems: string[] = [];
  if (durable.lost + durable.duplicated + durable.unexpected > 0) problems.push('the durable run lost, duplicated or invented messages');
  if (durable.restarts !== durable.kills) problems.push('a Redis restart did not come up by itself');
  if (control.lost === 0) problems.push('the negative control lost nothing: the checker cannot fail');
  if (race.oneWinner !== race.trials) problems.push('a name race did not have exactly one winner');
  if (cut.ackedWhileCut + cut.acceptedAfterHeal > 0) problems.push('a cut-off instance had a write answered or accepted under its old id');
  if (unfenced.acceptedAfterHeal === 0) problems.push('the unfenced control was not accepted: the cut-off checker cannot fail');
  if (cut.takenOver !== cut.trials || cut.toldFenced !== cut.trials) problems.push('a cut-off instance was not taken over, or not told it was fenced');
  if (instances && instances.lost + instances.duplicated + instances.unexpected + instances.exited > 0) problems.push('instance kills lost, duplicated or invented messages, or a client exited');
  if (unvisited && unvisited.lost === 0) problems.push('the instance-kill control lost nothing: that checker cannot fail');
  if (instances && !(instances.servedAgainMaxMs <= 5_000)) problems.push('a client was not served again within 5 s of an instance kill');
  for (const p of problems) process.stdout.write(`problem: ${p}\n`);
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cluster test failed to run: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
