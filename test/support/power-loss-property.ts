import fc from 'fast-check';
import { FsMailboxStore } from '../../src/adapters/fs/fs-mailbox-store';
import { SeededRandom } from '../../src/adapters/in-memory/seeded-random';
import type { AppendOutcome } from '../../src/application/ports/mailbox-store';
import type { MailboxQuota, StoredMessage } from '../../src/domain/offline-mailbox';
import { PowerLossFileSystem, type CrashKind } from './power-loss-file-system';

/**
 * The power-loss property, shared by the unit test and `scripts/power-loss.ts`: run random
 * appends and removes (some concurrent, some retried) on an FsMailboxStore over a simulated
 * disk, crash at a random operation, reopen, and compare what is listed with what was
 * acknowledged. Then append again on the recovered store, lose power once more, and compare
 * again, which proves the recovery (torn-tail truncation included) left a sound file.
 */

const DATA_DIR = '/sim/data';
const RECIPIENTS = ['alice', 'bob', 'carol'] as const;
/** Small, so 'full' happens in the runs too. */
const QUOTA: MailboxQuota = { maxMessages: 6, maxBytes: 160 };
const BASE_TIME_MS = 1_700_000_000_000;

interface AppendSpec {
  readonly kind: 'append';
  readonly recipient: number;
  /** Re-send an earlier message (same id, same content) instead of a new one. */
  readonly retry: number | null;
  readonly text: string;
  readonly channel: boolean;
}

interface RemoveSpec {
  readonly kind: 'remove';
  readonly recipient: number;
  readonly picks: readonly number[];
  /** Also ask to remove an id that was never stored. */
  readonly bogus: boolean;
}

type OpSpec = AppendSpec | RemoveSpec;

export interface PowerLossScenario {
  readonly fsSeed: number;
  /** Operations in a batch run concurrently; batches run one after another. */
  readonly batches: readonly (readonly OpSpec[])[];
  /** Where in the run's operations the crash falls; ≥ the last one means "after the run". */
  readonly crashFraction: number;
  readonly crashKind: CrashKind;
  /** After the restart: which recipients get a new message, and whether one delivery completes. */
  readonly freshAfter: readonly boolean[];
  readonly deliverAfter: boolean;
}

export interface PowerLossOutcome {
  /** Whether the crash interrupted the workload (rather than following it). */
  readonly crashedMidRun: boolean;
  /** Distinct messages whose save was acknowledged ('stored' or 'duplicate'). */
  readonly acked: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Never appended, misread, back after an acknowledged removal, or out of order. */
  readonly unexpected: number;
  readonly tornTailsDropped: number;
  readonly problems: readonly string[];
}

const appendSpec: fc.Arbitrary<OpSpec> = fc.record({
  kind: fc.constant('append' as const),
  recipient: fc.nat({ max: RECIPIENTS.length - 1 }),
  retry: fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: fc.nat({ max: 20 }), weight: 1 }),
  text: fc.string({ unit: 'binary', maxLength: 24 }),
  channel: fc.boolean(),
});

const removeSpec: fc.Arbitrary<OpSpec> = fc.record({
  kind: fc.constant('remove' as const),
  recipient: fc.nat({ max: RECIPIENTS.length - 1 }),
  picks: fc.array(fc.nat({ max: 20 }), { maxLength: 3 }),
  bogus: fc.boolean(),
});

export const powerLossScenario: fc.Arbitrary<PowerLossScenario> = fc.record({
  fsSeed: fc.nat(),
  batches: fc.array(
    fc.array(fc.oneof({ arbitrary: appendSpec, weight: 3 }, { arbitrary: removeSpec, weight: 1 }), { minLength: 1, maxLength: 4 }),
    { minLength: 1, maxLength: 6 },
  ),
  // Not fc.double: it draws uniformly over float encodings, so nearly every value is tiny.
  crashFraction: fc.integer({ min: 0, max: 9999 }).map((n) => n / 10_000),
  crashKind: fc.constantFrom<CrashKind>('power', 'power', 'process'),
  freshAfter: fc.array(fc.boolean(), { minLength: RECIPIENTS.length, maxLength: RECIPIENTS.length }),
  deliverAfter: fc.boolean(),
});

/** What the senders and the deliverer were told about one message. */
interface Sent {
  readonly message: StoredMessage;
  readonly firstBatch: number;
  attempts: number;
  fulls: number;
  ackBatch: number | undefined;
  removeIssued: boolean;
  removeAcked: boolean;
}

class Ledger {
  readonly sent = new Map<string, Sent>();
  private nextId = 0;

  static key(recipient: string, id: string): string {
    return `${recipient}\u0000${id}`;
  }

  fresh(spec: AppendSpec, batch: number): Sent {
    const n = this.nextId++;
    const message: StoredMessage = {
      id: `m${n}`, recipient: RECIPIENTS[spec.recipient]!, sender: `sender${n % 4}`,
      kind: spec.channel ? 'channel' : 'direct', storedAtMs: BASE_TIME_MS + n, text: spec.text,
    };
    const sent: Sent = { message, firstBatch: batch, attempts: 0, fulls: 0, ackBatch: undefined, removeIssued: false, removeAcked: false };
    this.sent.set(Ledger.key(message.recipient, message.id), sent);
    return sent;
  }

  of(recipient: string): Sent[] {
    return [...this.sent.values()].filter((s) => s.message.recipient === recipient);
  }

  onAppend(sent: Sent, outcome: AppendOutcome, batch: number): void {
    if (outcome === 'full') sent.fulls++;
    else sent.ackBatch ??= batch;
  }
}

async function runBatches(store: FsMailboxStore, fs: PowerLossFileSystem, scenario: PowerLossScenario, ledger: Ledger): Promise<void> {
  for (const [batch, ops] of scenario.batches.entries()) {
    const inFlight: Promise<unknown>[] = [];
    for (const op of ops) {
      const recipient = RECIPIENTS[op.recipient]!;
      if (op.kind === 'append') {
        const retryable = ledger.of(recipient).filter((s) => !s.removeIssued);
        const sent = op.retry !== null && retryable.length > 0 ? retryable[op.retry % retryable.length]! : ledger.fresh(op, batch);
        sent.attempts++;
        inFlight.push(store.append(sent.message).then((outcome) => ledger.onAppend(sent, outcome, batch)));
      } else {
        // Only what was acknowledged before this batch: a deliverer removes what it delivered.
        const removable = ledger.of(recipient).filter((s) => s.ackBatch !== undefined && s.ackBatch < batch && !s.removeIssued);
        const picked = removable.length === 0 ? [] : [...new Set(op.picks.map((i) => removable[i % removable.length]!))];
        const ids = picked.map((s) => s.message.id).concat(op.bogus ? ['never-stored'] : []);
        if (ids.length === 0) continue;
        for (const s of picked) s.removeIssued = true;
        inFlight.push(store.remove(recipient, ids).then(() => picked.forEach((s) => { s.removeAcked = true; })));
      }
    }
    await Promise.allSettled(inFlight);
    if (fs.crashed) return;
  }
}

function sameMessage(a: StoredMessage, b: StoredMessage): boolean {
  return a.id === b.id && a.recipient === b.recipient && a.sender === b.sender && a.kind === b.kind
    && a.storedAtMs === b.storedAtMs && a.text === b.text;
}

interface Tally { lost: number; duplicated: number; unexpected: number; problems: string[] }

async function audit(store: FsMailboxStore, ledger: Ledger, tally: Tally, when: string): Promise<void> {
  for (const recipient of RECIPIENTS) {
    const listed = await store.list(recipient);
    const counts = new Map<string, number>();
    listed.forEach((m, i) => {
      counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
      const sent = ledger.sent.get(Ledger.key(recipient, m.id));
      const why = !sent || sent.attempts === sent.fulls ? 'never stored'
        : !sameMessage(m, sent.message) ? 'misread'
          : sent.removeAcked ? 'back after an acknowledged removal'
            : listed.slice(i + 1).some((later) => {
              const l = ledger.sent.get(Ledger.key(recipient, later.id));
              return l?.ackBatch !== undefined && sent.firstBatch > l.ackBatch;
            }) ? 'listed before a message acknowledged before it was sent' : undefined;
      if (why) {
        tally.unexpected++;
        tally.problems.push(`${when}: ${recipient}/${m.id} ${why}`);
      }
    });
    for (const [id, n] of counts) {
      if (n > 1) {
        tally.duplicated += n - 1;
        tally.problems.push(`${when}: ${recipient}/${id} listed ${n} times`);
      }
    }
    for (const sent of ledger.of(recipient)) {
      if (sent.ackBatch !== undefined && !sent.removeIssued && !counts.has(sent.message.id)) {
        tally.lost++;
        tally.problems.push(`${when}: ${recipient}/${sent.message.id} acknowledged but lost`);
      }
    }
  }
}

/** Count the operations the workload makes, so the crash point can be drawn among them. */
async function countOperations(scenario: PowerLossScenario): Promise<number> {
  const fs = new PowerLossFileSystem(new SeededRandom(scenario.fsSeed));
  await runBatches(new FsMailboxStore(DATA_DIR, QUOTA, fs), fs, scenario, new Ledger());
  return fs.opCount;
}

export async function runPowerLossScenario(scenario: PowerLossScenario): Promise<PowerLossOutcome> {
  const total = await countOperations(scenario);
  const crashAtOp = 1 + Math.floor(scenario.crashFraction * (total + 1));
  // Same seed, same workload: the run replays the count run exactly up to the crash.
  const fs = new PowerLossFileSystem(new SeededRandom(scenario.fsSeed), { crashAtOp, crashKind: scenario.crashKind });
  const ledger = new Ledger();
  await runBatches(new FsMailboxStore(DATA_DIR, QUOTA, fs), fs, scenario, ledger);
  const crashedMidRun = fs.crashed;
  fs.crash(scenario.crashKind);

  const tally: Tally = { lost: 0, duplicated: 0, unexpected: 0, problems: [] };
  const afterCrash = fs.restart();
  const recovered = new FsMailboxStore(DATA_DIR, QUOTA, afterCrash);
  await audit(recovered, ledger, tally, 'after the crash');

  // The senders retry what was not acknowledged; new messages may arrive, a delivery may complete.
  const phase = scenario.batches.length;
  for (const sent of [...ledger.sent.values()]) {
    if (sent.ackBatch === undefined && !sent.removeIssued) {
      sent.attempts++;
      ledger.onAppend(sent, await recovered.append(sent.message), phase);
    }
  }
  for (const recipient of RECIPIENTS.keys()) {
    if (!scenario.freshAfter[recipient]) continue;
    const sent = ledger.fresh({ kind: 'append', recipient, retry: null, text: `after ${recipient}`, channel: false }, phase);
    sent.attempts++;
    ledger.onAppend(sent, await recovered.append(sent.message), phase);
  }
  const [delivered] = scenario.deliverAfter ? await recovered.list(RECIPIENTS[0]) : [];
  if (delivered) {
    const sent = ledger.sent.get(Ledger.key(RECIPIENTS[0], delivered.id))!;
    sent.removeIssued = true;
    await recovered.remove(RECIPIENTS[0], [delivered.id]);
    sent.removeAcked = true;
  }

  afterCrash.crash('power');
  const final = new FsMailboxStore(DATA_DIR, QUOTA, afterCrash.restart());
  await audit(final, ledger, tally, 'after the second power loss');
  await final.close();

  const acked = [...ledger.sent.values()].filter((s) => s.ackBatch !== undefined).length;
  return {
    crashedMidRun, acked, ...tally, problems: tally.problems,
    tornTailsDropped: recovered.tornTailsDropped + final.tornTailsDropped,
  };
}
