import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsMailboxStore } from '../../src/adapters/fs/fs-mailbox-store';
import type { StoredMessage } from '../../src/domain/offline-mailbox';
import type { BenchRow, SectionResult } from './report';
import { nowMs } from './stats';

const TEXT = 'a message left for a client who is offline; stored durably before the ACK'.padEnd(100, '.');
const QUOTA = { maxMessages: 1_000_000, maxBytes: 1024 ** 3 };

/**
 * (4) Offline saves made durable (fsync) by FsMailboxStore, against raw appends with fsync
 * through node:fs in the same directory: one write and one fsync at a time. Concurrent
 * saves share fsyncs (group commit), so they may beat the raw one-at-a-time rate.
 */
export async function benchDurable(options: { sequential: number; concurrent: number; inFlight: number }): Promise<Omit<SectionResult, 'seconds'>> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'chatapp-bench-'));
  try {
    const line = Buffer.from(`${JSON.stringify({ id: 'x'.repeat(16), from: 'alice', kind: 'direct', at: Date.now(), text: TEXT })}\n`);
    const rawRate = async (): Promise<number> => {
      const file = await fsp.open(path.join(dir, `raw-${randomBytes(4).toString('hex')}.log`), 'a');
      const start = nowMs();
      for (let i = 0; i < options.sequential; i++) {
        await file.write(line);
        await file.sync();
      }
      const rate = options.sequential / ((nowMs() - start) / 1000);
      await file.close();
      return rate;
    };
    let seq = 0;
    const message = (recipient: string): StoredMessage => ({
      id: `m${(seq++).toString(36)}${randomBytes(6).toString('base64url')}`,
      recipient,
      sender: 'alice',
      kind: 'direct',
      storedAtMs: Date.now(),
      text: TEXT,
    });
    const storeRate = async (count: number, inFlight: number, recipients: number): Promise<number> => {
      const store = new FsMailboxStore(path.join(dir, `store-${randomBytes(4).toString('hex')}`), QUOTA);
      await store.append(message('warmup'));
      let next = 0;
      const start = nowMs();
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < count) {
            const i = next++;
            const outcome = await store.append(message(`r${i % recipients}`));
            if (outcome !== 'stored') throw new Error(`append ${outcome}`);
          }
        }),
      );
      const rate = count / ((nowMs() - start) / 1000);
      await store.close();
      return rate;
    };

    const raw1 = await rawRate();
    const one = await storeRate(options.sequential, 1, 1);
    const group = await storeRate(options.concurrent, options.inFlight, 1);
    const spread = await storeRate(options.concurrent, options.inFlight, options.inFlight);
    const raw2 = await rawRate();
    const raw = (raw1 + raw2) / 2;
    const rows: BenchRow[] = [
      { section: '4', figure: 'durable saves, one at a time', value: one, unit: 'saves/s', baseline: raw, baselineLabel: 'raw write+fsync', ratio: one / raw },
      { section: '4', figure: `durable saves, ${options.inFlight} concurrent, one recipient (group commit)`, value: group, unit: 'saves/s', baseline: raw, baselineLabel: 'same raw', ratio: group / raw, target: '> 1× raw', met: group > raw },
      { section: '4', figure: `durable saves, ${options.inFlight} concurrent over ${options.inFlight} recipients`, value: spread, unit: 'saves/s', baseline: raw, baselineLabel: 'same raw', ratio: spread / raw },
    ];
    return {
      id: 4,
      title: 'durable offline saves',
      setup: `FsMailboxStore alone (the server's mailbox store in the chatapp command: files, fsync, group commit) in a temp dir, removed afterwards; no server, no logger`,
      rows,
      notes: [
        `FsMailboxStore.append (checksummed line + fsync; group commit per mailbox file) in ${dir} (${os.tmpdir()}); raw: ${line.length}-byte line write + fsync, one at a time, ${options.sequential} each before and after (${raw1.toFixed(0)} and ${raw2.toFixed(0)}/s). ` +
          'Ratios here are the app over raw (higher is better).',
      ],
    };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
