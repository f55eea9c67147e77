import { expect } from 'chai';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeLine } from '../../../../src/adapters/fs/checksummed-lines';
import { NodeFileSystem } from '../../../../src/adapters/fs/file-system';
import { FsMailboxStore } from '../../../../src/adapters/fs/fs-mailbox-store';
import type { MailboxMessage, StoredMessage } from '../../../../src/domain/offline-mailbox';
import { FaultyFileSystem } from '../../../support/faulty-file-system';
import { powerLossScenario, runPowerLossScenario } from '../../../support/power-loss-property';
import { RecordingFileSystem } from '../../../support/recording-file-system';

const POWER_LOSS_RUNS = 300;

function message(id: string, recipient = 'alice', text = `text of ${id}`): StoredMessage {
  return { id, recipient, sender: 'bob', kind: 'direct', storedAtMs: 1_700_000_000_000, text };
}

/** The messages as appended, without the place the store gave them. */
function plain(listed: readonly MailboxMessage[]): StoredMessage[] {
  return listed.map(({ seq: _seq, ...m }) => m);
}

function logName(recipient: string): string {
  return `${createHash('sha256').update(recipient, 'utf8').digest('hex')}.log`;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

/** Indices of events that start with `prefix`. */
function at(events: readonly string[], prefix: string): number[] {
  return events.flatMap((e, i) => (e.startsWith(prefix) ? [i] : []));
}

/** Whether a sync of `file` started after event `written` and ended before event `resolved`. */
function syncCovers(events: readonly string[], file: string, written: number, resolved: number): boolean {
  let started = -1;
  for (let i = written + 1; i < resolved; i++) {
    if (events[i] === `sync-start ${file}`) started = i;
    if (events[i] === `sync-end ${file}` && started >= 0) return true;
  }
  return false;
}

describe('FsMailboxStore', () => {
  let root: string;
  let dataDir: string;
  let stores: FsMailboxStore[];

  const open = (fileSystem: NodeFileSystem | RecordingFileSystem | FaultyFileSystem = new NodeFileSystem()): FsMailboxStore => {
    const store = new FsMailboxStore(dataDir, undefined, fileSystem);
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-mailbox-'));
    dataDir = path.join(root, 'data');
    stores = [];
  });

  afterEach(async () => {
    for (const store of stores) await store.close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe('acknowledges only what is on disk (spy on the file-system port)', () => {
    let spy: RecordingFileSystem;
    let store: FsMailboxStore;
    const file = logName('alice');

    beforeEach(() => {
      spy = new RecordingFileSystem(new NodeFileSystem());
      store = open(spy);
    });

    afterEach(() => spy.releaseSyncs());

    const append = (m: StoredMessage): Promise<string> =>
      store.append(m).then((outcome) => {
        spy.note(`resolved ${m.id} ${outcome}`);
        return outcome;
      });

    it('resolves the first append after the directory fsync of the new file and the fsync of its record', async () => {
      expect(await append(message('m1'))).to.equal('stored');
      const e = spy.events;
      const [opened] = at(e, `open append ${file}`);
      const [dirSynced] = at(e, 'syncDir mailboxes').filter((i) => i > opened!);
      const [written] = at(e, `append ${file} m1`);
      const [resolved] = at(e, 'resolved m1');
      expect(opened, e.join('\n')).to.be.a('number');
      expect(dirSynced, e.join('\n')).to.be.greaterThan(opened!).and.lessThan(resolved!);
      expect(syncCovers(e, file, written!, resolved!), e.join('\n')).to.equal(true);
    });

    it('lets concurrent appends share an fsync, none resolving before the fsync that covers its bytes', async () => {
      await append(message('m0'));
      spy.holdSyncs();
      const pending = [append(message('m1'))];
      await waitFor(() => spy.count(`sync-start ${file}`) === 2, 'the first held fsync');
      for (let i = 2; i <= 9; i++) pending.push(append(message(`m${i}`)));
      await waitFor(() => spy.count(`append ${file}`) === 10, 'all writes');
      expect(spy.count('resolved'), spy.events.join('\n')).to.equal(1);
      spy.releaseSyncs();
      expect(await Promise.all(pending)).to.deep.equal(Array(9).fill('stored'));
      const e = spy.events;
      // m1's fsync was under way before m2..m9 were written: one more fsync covers them all.
      expect(spy.count(`sync-start ${file}`), e.join('\n')).to.equal(3);
      for (let i = 1; i <= 9; i++) {
        const [written] = at(e, `append ${file} m${i}`);
        const [resolved] = at(e, `resolved m${i} `);
        expect(syncCovers(e, file, written!, resolved!), `m${i}\n${e.join('\n')}`).to.equal(true);
      }
    });

    it('answers a retry of a message still being synced only once that fsync is done', async () => {
      await append(message('m0'));
      spy.holdSyncs();
      const first = append(message('m1'));
      await waitFor(() => spy.count(`sync-start ${file}`) === 2, 'the held fsync');
      const retry = append(message('m1'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(spy.count('resolved m1'), spy.events.join('\n')).to.equal(0);
      spy.releaseSyncs();
      expect([await first, await retry]).to.deep.equal(['stored', 'duplicate']);
      const [synced] = at(spy.events, `sync-end ${file}`).slice(-1);
      expect(Math.min(...at(spy.events, 'resolved m1'))).to.be.greaterThan(synced!);
    });

    it('lists a message only once it is durable', async () => {
      await append(message('m0'));
      spy.holdSyncs();
      const appended = append(message('m1'));
      await waitFor(() => spy.count(`sync-start ${file}`) === 2, 'the held fsync');
      let listed: StoredMessage[] | undefined;
      const listing = store.list('alice').then((l) => { listed = l; });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(listed).to.equal(undefined);
      spy.releaseSyncs();
      await Promise.all([appended, listing]);
      expect(listed!.map((m) => m.id)).to.deep.equal(['m0', 'm1']);
    });

    it('removes by temp file, fsync, rename, directory fsync, in that order, before resolving', async () => {
      for (const id of ['m1', 'm2', 'm3']) await append(message(id));
      spy.events.length = 0;
      await store.remove('alice', ['m2']);
      spy.note('resolved remove');
      const temp = `${file}.tmp`;
      const order = [`open truncate ${temp}`, `append ${temp} m1,m3`, `sync-end ${temp}`, `close ${temp}`, `rename ${temp} ${file}`, 'syncDir mailboxes', 'resolved remove'];
      const indices = order.map((step) => spy.events.indexOf(step));
      expect(indices, spy.events.join('\n')).to.not.include(-1);
      expect([...indices].sort((a, b) => a - b), spy.events.join('\n')).to.deep.equal(indices);
      expect((await store.list('alice')).map((m) => m.id)).to.deep.equal(['m1', 'm3']);
    });

    it('removes the last message by unlinking the file, then fsyncing the directory', async () => {
      await append(message('m1'));
      spy.events.length = 0;
      await store.remove('alice', ['m1']);
      spy.note('resolved remove');
      const indices = [`unlink ${file}`, 'syncDir mailboxes', 'resolved remove'].map((s) => spy.events.indexOf(s));
      expect(indices, spy.events.join('\n')).to.not.include(-1);
      expect([...indices].sort((a, b) => a - b)).to.deep.equal(indices);
      expect(fs.existsSync(path.join(dataDir, 'mailboxes', file))).to.equal(false);
    });

    it('keeps a bounded number of files open however many mailboxes it serves', async () => {
      for (let i = 0; i < 80; i++) await append(message('m', `user${i}`));
      const opened = spy.count('open ');
      const closed = spy.count('close ');
      expect(opened - closed).to.be.at.most(33);
      for (let i = 0; i < 80; i++) expect((await store.list(`user${i}`)).map((m) => m.id)).to.deep.equal(['m']);
    });
  });

  describe('torn and corrupt records', () => {
    const file = (): string => path.join(dataDir, 'mailboxes', logName('alice'));
    const kept = [message('m1'), message('m2', 'alice', 'é 🎉'), message('m3')];

    beforeEach(async () => {
      const store = open();
      for (const m of kept) await store.append(m);
      await store.close();
    });

    for (const [what, tail] of [
      ['half a record', encodeLine(message('m4')).subarray(0, 40)],
      ['a zero-filled tail', Buffer.alloc(300)],
      ['a complete last record with a wrong checksum', Buffer.from(encodeLine(message('m4')).toString('utf8').replace('text of m4', 'text of m5'))],
      ['a last line that is not JSON', Buffer.from('00000000 {"id":\n')],
    ] as const) {
      it(`drops ${what} at the end, truncates it away and appends after the good records`, async () => {
        const goodSize = fs.statSync(file()).size;
        fs.appendFileSync(file(), tail);
        const store = open();
        expect(plain(await store.list('alice'))).to.deep.equal(kept);
        expect(store.tornTailsDropped).to.equal(1);
        expect(fs.statSync(file()).size).to.equal(goodSize);
        expect(await store.append(message('m4'))).to.equal('stored');
        const reopened = open();
        expect((await reopened.list('alice')).map((m) => m.id)).to.deep.equal(['m1', 'm2', 'm3', 'm4']);
        expect(reopened.tornTailsDropped).to.equal(0);
      });
    }

    it('skips a damaged record between good ones without losing the records after it', async () => {
      const lines = fs.readFileSync(file(), 'utf8').split('\n');
      lines[1] = lines[1]!.replace('🎉', '🎈');
      fs.writeFileSync(file(), lines.join('\n'));
      const store = open();
      expect(plain(await store.list('alice'))).to.deep.equal([kept[0], kept[2]]);
      expect(store.corruptFilesRepaired).to.equal(1);
      expect(store.tornTailsDropped).to.equal(0);
      expect(plain(await open().list('alice'))).to.deep.equal([kept[0], kept[2]]);
    });
  });

  describe('a full disk', () => {
    const mailboxFiles = (): string[] => fs.readdirSync(path.join(dataDir, 'mailboxes')).sort();

    for (const [what, op, partialBytes] of [
      ['a short write of the temp copy', 'append', 30],
      ['the fsync of the temp copy', 'sync', 0],
      ['the rename of the temp copy', 'rename', 0],
    ] as const) {
      it(`fails a removal cleanly at ${what}: no temp file left, the mailbox unchanged, and it works once space is back`, async () => {
        const faulty = new FaultyFileSystem(new NodeFileSystem());
        const store = open(faulty);
        for (const id of ['m1', 'm2', 'm3']) await store.append(message(id));
        faulty.fail(op, op === 'rename' ? new RegExp(`^${logName('alice')}$`) : /\.tmp$/, { partialBytes });
        for (let attempt = 0; attempt < 3; attempt++) {
          let error: NodeJS.ErrnoException | undefined;
          await store.remove('alice', ['m1']).catch((e: NodeJS.ErrnoException) => { error = e; });
          expect(error?.code, `attempt ${attempt}`).to.equal('ENOSPC');
          expect(mailboxFiles(), `attempt ${attempt}`).to.deep.equal([logName('alice')]);
          expect((await store.list('alice')).map((m) => m.id)).to.deep.equal(['m1', 'm2', 'm3']);
        }
        expect(await store.append(message('m4', 'bob'))).to.equal('stored');
        faulty.heal();
        await store.remove('alice', ['m1']);
        expect((await store.list('alice')).map((m) => m.id)).to.deep.equal(['m2', 'm3']);
        expect(await store.append(message('m5'))).to.equal('stored');
        await store.close();
        const again = open();
        expect((await again.list('alice')).map((m) => m.id)).to.deep.equal(['m2', 'm3', 'm5']);
        expect((await again.list('bob')).map((m) => m.id)).to.deep.equal(['m4']);
        expect(again.tornTailsDropped + again.corruptFilesRepaired).to.equal(0);
      });
    }
  });

  describe('places in line', () => {
    it('places the messages of a file written without them in the order of the file, and later ones after them', async () => {
      fs.mkdirSync(path.join(dataDir, 'mailboxes'), { recursive: true });
      const old = (id: string, storedAtMs: number): Buffer => encodeLine({ ...message(id), storedAtMs });
      fs.writeFileSync(path.join(dataDir, 'mailboxes', logName('alice')), Buffer.concat([old('m1', 3000), old('m2', 1000), old('m3', 2000)]));
      const store = open();
      const listed = await store.list('alice');
      expect(listed.map((m) => [m.id, m.seq])).to.deep.equal([['m1', 1], ['m2', 2], ['m3', 3]]);
      await store.append({ ...message('m4'), storedAtMs: 1 });
      await store.close();
      expect((await open().list('alice')).map((m) => [m.id, m.seq])).to.deep.equal([['m1', 1], ['m2', 2], ['m3', 3], ['m4', 4]]);
    });
  });

  describe('across restarts', () => {
    it('lists the same messages after close and reopen, under a hashed file name', async () => {
      const first = open();
      const sent = [message('m1'), message('m2', 'bob'), message('m3')];
      for (const m of sent) await first.append(m);
      await first.remove('alice', ['m1']);
      await first.close();
      expect(fs.readdirSync(path.join(dataDir, 'mailboxes')).sort()).to.deep.equal([logName('alice'), logName('bob')].sort());
      const second = open();
      expect(plain(await second.list('alice'))).to.deep.equal([sent[2]]);
      expect(plain(await second.list('bob'))).to.deep.equal([sent[1]]);
      expect(await second.append(sent[2]!)).to.equal('duplicate');
    });

    it('counts the reloaded messages against the quota', async () => {
      const first = new FsMailboxStore(dataDir, { maxMessages: 2, maxBytes: 100 });
      stores.push(first);
      await first.append(message('m1'));
      await first.append(message('m2'));
      await first.close();
      const second = new FsMailboxStore(dataDir, { maxMessages: 2, maxBytes: 100 });
      stores.push(second);
      expect(await second.append(message('m3'))).to.equal('full');
    });

    it('deletes the temp file of a rewrite that never got renamed, keeping the old mailbox', async () => {
      const first = open();
      await first.append(message('m1'));
      await first.close();
      const temp = path.join(dataDir, 'mailboxes', `${logName('alice')}.tmp`);
      fs.writeFileSync(temp, encodeLine(message('m9')));
      const second = open();
      expect((await second.list('alice')).map((m) => m.id)).to.deep.equal(['m1']);
      expect(fs.existsSync(temp)).to.equal(false);
    });
  });

  describe('simulated power loss (property)', function () {
    this.timeout(60_000);

    it(`never loses, duplicates or invents an acknowledged message (${POWER_LOSS_RUNS} seeded runs)`, async () => {
      const seed = Number(process.env.POWER_LOSS_SEED ?? 20261124);
      try {
        await fc.assert(
          fc.asyncProperty(powerLossScenario, async (scenario) => {
            const outcome = await runPowerLossScenario(scenario);
            if (outcome.problems.length > 0) throw new Error(outcome.problems.join('\n'));
          }),
          { numRuns: POWER_LOSS_RUNS, seed },
        );
      } catch (e) {
        throw new Error(`power-loss property failed with seed ${seed} (replay: POWER_LOSS_SEED=${seed}):\n${(e as Error).message}`);
      }
    });
  });
});
