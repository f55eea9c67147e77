import fc from 'fast-check';
import path from 'node:path';
import { FsMailboxStore } from '../../src/adapters/fs/fs-mailbox-store';
import { SeededRandom } from '../../src/adapters/in-memory/seeded-random';
import type { AppendOutcome } from '../../src/application/ports/mailbox-store';
import type { MailboxQuota, StoredMessage } from '../../src/domain/offline-mailbox';
import { countBy, readDiskRecords } from './disk-records';
import { isSimulatedCrash, PowerLossFileSystem, type CrashKind } from './power-loss-file-system';

/**
 * The power-loss property, shared by the unit tests and `scripts/power-loss.ts`: run random
 * operations (some concurrent, some retried) on a durable store over a simulated disk, crash at a
 * random operation, and compare what the disk holds, read record by record independently of the
 * store's loader, and what the reopened store reports, with what was acknowledged. Then write
 * again on the recovered store, lose power once more, and compare again, which proves the
 * recovery (torn-tail truncation included) left a sound file. This file holds the shared pieces
 * and the mailbox; `power-loss-stores.ts` the channel log, the registry and the seen store.
 */

/** The durable stores the property covers. */
export const DURABLE_STORES = ['mailbox', 'channel-log', 'registry', 'seen'] as const;
export type DurableStore = (typeof DURABLE_STORES)[number];

export interface PowerLossOutcome {
  readonly store: DurableStore;
  /** Whether the crash interrupted the workload (rather than following it). */
  readonly crashedMidRun: boolean;
  /** Distinct writes the store acknowledged (saves, records, adds). */
  readonly acked: number;
  /** Acknowledged and not taken back, yet missing on disk or from what the reopened store reports. */
  readonly lost: number;
  /** Records on disk beyond what was written (counted from the files, before any loader reads them). */
  readonly duplicated: number;
  /** Never written, misread, back after an acknowledged removal, or out of order. */
  readonly unexpected: number;
  /** Operations that failed with an error the simulated crash did not cause. */
  readonly errors: number;
  readonly tornTailsDropped: number;
  readonly problems: readonly string[];
}

/** Lets a negative control damage the disk after the crash, before anything reads it. */
export interface PowerLossHooks {
  readonly afterCrash?: (disk: PowerLossFileSystem) => Promise<void>;
}

export interface Tally {
  lost: number;
  duplicated: number;
  unexpected: number;
  errors: number;
  readonly problems: string[];
}

export function newTally(): Tally {
  return { lost: 0, duplicated: 0, unexpected: 0, errors: 0, problems: [] };
}

/**
 * Wait for every operation of a batch. An operation may fail only because the simulated power
 * cut ended the process (its own crash error, or one wrapping it, once the disk has crashed);
 * any other error is a finding and is counted, never hidden.
 */
export async function settle(inFlight: readonly Promise<unknown>[], disk: PowerLossFileSystem, tally: Tally, what: string): Promise<void> {
  const results = await Promise.allSettled(inFlight);
  for (const r of results) {
    if (r.status === 'fulfilled' || (disk.crashed && isSimulatedCrash(r.reason))) continue;
    tally.errors++;
    tally.problems.push(`${what}: an error the simulated crash did not cause: ${r.reason instanceof Error ? r.reason.stack ?? r.reason.message : String(r.reason)}`);
  }
}

/** Run `step` where no crash is scheduled: any error at all is a finding. */
export async function mustSucceed(tally: Tally, what: string, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (e) {
    tally.errors++;
    tally.problems.push(`${what}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  }
}

/**
 * Bookkeeping lines the stores keep beside their records (a mailbox's count of refused messages,
 * the registry's highest-version mark): not records of what was acknowledged, so not counted.
 */
const BOOKKEEPING = new Set(['refused', 'version']);

/** The good records of every `suffix` file under `dir`, read from the simulated disk without an operation. */
export function diskRecords(disk: PowerLossFileSystem, dir: string, suffix: string): Array<{ file: string; record: unknown }> {
  const found: Array<{ file: string; record: unknown }> = [];
  for (const [file, data] of disk.files(dir)) {
    if (!file.endsWith(suffix)) continue;
    for (const record of readDiskRecords(data).records) {
      const type = typeof record === 'object' && record !== null ? (record as { t?: unknown }).t : undefined;
      if (typeof type === 'string' && BOOKKEEPING.has(type)) continue;
      found.push({ file: path.basename(file), record });
    }
  }
  return found;
}

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

async function runBatches(store: FsMailboxStore, fs: PowerLossFileSystem, scenario: PowerLossScenario, ledger: Ledger, tally: Tally): Promise<void> {
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
    await settle(inFlight, fs, tally, `mailbox batch ${batch}`);
    if (fs.crashed) return;
  }
}

function sameMessage(a: StoredMessage, b: StoredMessage): boolean {
  return a.id === b.id && a.recipient === b.recipient && a.sender === b.sender && a.kind === b.kind
    && a.storedAtMs === b.storedAtMs && a.text === b.text;
}

/** Why a record read back for `recipient` should not be there, if it should not. */
function unexpectedWhy(m: StoredMessage, recipient: string, ledger: Ledger): string | undefined {
  const sent = ledger.sent.get(Ledger.key(recipient, m.id));
  return !sent || sent.attempts === sent.fulls ? 'never stored'
    : !sameMessage(m, sent.message) ? 'misread'
      : sent.removeAcked ? 'back after an acknowledged removal' : undefined;
}

/**
 * The mailbox files as they are on disk, before a loader reads them: every good record counts,
 * so an id written twice is seen twice (the store's load keeps the first copy of an id, so a
 * duplicate on disk never shows through `list`). Returns the (recipient, id) pairs found.
 */
function auditDisk(disk: PowerLossFileSystem, ledger: Ledger, tally: Tally, when: string): Set<string> {
  const records = diskRecords(disk, path.join(DATA_DIR, 'mailboxes'), '.log');
  const onDisk = new Set<string>();
  const counts = countBy(records, ({ record }) => {
    const r = record as Partial<StoredMessage>;
    return Ledger.key(String(r.recipient), String(r.id));
  });
  for (const { file, record } of records) {
    const m = record as StoredMessage;
    const key = Ledger.key(String(m.recipient), String(m.id));
    if (onDisk.has(key)) continue;
    onDisk.add(key);
    const why = typeof m.recipient === 'string' && (RECIPIENTS as readonly string[]).includes(m.recipient) ? unexpectedWhy(m, m.recipient, ledger) : 'for no recipient';
    if (why) {
      tally.unexpected++;
      tally.problems.push(`${when}: on disk, ${file}: ${m.recipient}/${m.id} ${why}`);
    }
    const n = counts.get(key)!;
    if (n > 1) {
      tally.duplicated += n - 1;
      tally.problems.push(`${when}: on disk, ${m.recipient}/${m.id} written ${n} times`);
    }
  }
  return onDisk;
}

/** What the reopened store lists: order, content, nothing back after removal, nothing acknowledged missing on disk or here. */
async function auditStore(store: FsMailboxStore, onDisk: Set<string>, ledger: Ledger, tally: Tally, when: string): Promise<void> {
  for (const recipient of RECIPIENTS) {
    const listed = await store.list(recipient);
    const ids = new Set(listed.map((m) => m.id));
    listed.forEach((m, i) => {
      const sent = ledger.sent.get(Ledger.key(recipient, m.id));
      const why = unexpectedWhy(m, recipient, ledger)
        ?? (listed.slice(i + 1).some((later) => {
          const l = ledger.sent.get(Ledger.key(recipient, later.id));
          return l?.ackBatch !== undefined && sent!.firstBatch > l.ackBatch;
        }) ? 'listed before a message acknowledged before it was sent' : undefined);
      if (why) {
        tally.unexpected++;
        tally.problems.push(`${when}: listed ${recipient}/${m.id} ${why}`);
      }
    });
    for (const sent of ledger.of(recipient)) {
      if (sent.ackBatch === undefined || sent.removeIssued) continue;
      const where = [onDisk.has(Ledger.key(recipient, sent.message.id)) ? '' : 'on disk', ids.has(sent.message.id) ? '' : 'from the listing'].filter((w) => w !== '');
      if (where.length > 0) {
        tally.lost++;
        tally.problems.push(`${when}: ${recipient}/${sent.message.id} acknowledged but missing ${where.join(' and ')}`);
      }
    }
  }
}

/** Count the operations the workload makes, so the crash point can be drawn among them. */
async function countOperations(scenario: PowerLossScenario): Promise<number> {
  const fs = new PowerLossFileSystem(new SeededRandom(scenario.fsSeed));
  await runBatches(new FsMailboxStore(DATA_DIR, QUOTA, fs), fs, scenario, new Ledger(), newTally());
  return fs.opCount;
}

export async function runPowerLossScenario(scenario: PowerLossScenario, hooks: PowerLossHooks = {}): Promise<PowerLossOutcome> {
  const total = await countOperations(scenario);
  const crashAtOp = 1 + Math.floor(scenario.crashFraction * (total + 1));
  // Same seed, same workload: the run replays the count run exactly up to the crash.
  const fs = new PowerLossFileSystem(new SeededRandom(scenario.fsSeed), { crashAtOp, crashKind: scenario.crashKind });
  const ledger = new Ledger();
  const tally = newTally();
  await runBatches(new FsMailboxStore(DATA_DIR, QUOTA, fs), fs, scenario, ledger, tally);
  const crashedMidRun = fs.crashed;
  fs.crash(scenario.crashKind);

  const afterCrash = fs.restart();
  await hooks.afterCrash?.(afterCrash);
  const recovered = new FsMailboxStore(DATA_DIR, QUOTA, afterCrash);
  let final: FsMailboxStore | undefined;
  await mustSucceed(tally, 'mailbox after the crash', async () => {
    await auditStore(recovered, auditDisk(afterCrash, ledger, tally, 'after the crash'), ledger, tally, 'after the crash');

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
    const lastDisk = afterCrash.restart();
    final = new FsMailboxStore(DATA_DIR, QUOTA, lastDisk);
    await auditStore(final, auditDisk(lastDisk, ledger, tally, 'after the second power loss'), ledger, tally, 'after the second power loss');
    await final.close();
  });

  const acked = [...ledger.sent.values()].filter((s) => s.ackBatch !== undefined).length;
  return {
    store: 'mailbox', crashedMidRun, acked, ...tally, problems: tally.problems,
    tornTailsDropped: recovered.tornTailsDropped + (final?.tornTailsDropped ?? 0),
  };
}
