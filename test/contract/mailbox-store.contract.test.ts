import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsMailboxStore } from '../../src/adapters/fs/fs-mailbox-store';
import { InMemoryMailboxStore } from '../../src/adapters/in-memory/in-memory-mailbox-store';
import { RedisMailboxStore } from '../../src/adapters/redis/redis-mailbox-store';
import { uniquePrefix, useRedisServer } from '../support/redis-server';
import { useStoreLocation } from '../support/store-location';
import type { MailboxStore } from '../../src/application/ports/mailbox-store';
import { StoreClosedError } from '../../src/application/ports/store-closed-error';
import { DEFAULT_MAILBOX_QUOTA, deliveryOrder, type MailboxMessage, type MailboxQuota, type StoredMessage } from '../../src/domain/offline-mailbox';

/** A place mailboxes live: `open` gives a store on it (again after `close`, the same messages). */
interface MailboxLocation {
  open(quota?: MailboxQuota): MailboxStore;
  /** The directory the store may write in, for adapters that write files. */
  readonly dataDir?: string;
  /** Every file under the location's root, relative to it. */
  files?(): string[];
  /** Whether a closed store refuses further calls (a file store; the shared in-memory one stays usable). */
  readonly refusesAfterClose?: boolean;
  remove(): void;
}

let nextTime = 1_700_000_000_000;

function message(recipient: string, id: string, text = `text of ${id}`, sender = 'bob'): StoredMessage {
  return { id, recipient, sender, kind: 'direct', storedAtMs: nextTime++, text };
}

/** The messages as appended, without the place the store gave them. */
function plain(listed: readonly MailboxMessage[]): StoredMessage[] {
  return listed.map(({ seq: _seq, ...m }) => m);
}

function listFiles(root: string): string[] {
  return fs.readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

function mailboxStoreContract(adapter: string, newLocation: () => MailboxLocation): void {
  describe(`MailboxStore contract: ${adapter}`, () => {
    const harness = useStoreLocation<MailboxStore, [quota?: MailboxQuota], MailboxLocation>(newLocation);
    const open = harness.open;
    const listed = async (store: MailboxStore, key: string): Promise<StoredMessage[]> => plain(await store.list(key));

    it('lists nothing for a recipient with no messages', async () => {
      expect(await open().list('nobody')).to.deep.equal([]);
    });

    it('lists appended messages in the order stored, every field intact', async () => {
      const store = open();
      const first = message('alice', 'm1', 'hello "world"\nsecond line, tab\t, NUL\u0000, é, 日本, 🎉');
      const second = { ...message('alice', 'm2', ''), kind: 'channel' as const, sender: 'carol' };
      expect(await store.append(first)).to.equal('stored');
      expect(await store.append(second)).to.equal('stored');
      expect(await listed(store, 'alice')).to.deep.equal([first, second]);
    });

    it('stores a retried append with the same id once and answers duplicate', async () => {
      const store = open();
      const m = message('alice', 'm1');
      expect(await store.append(m)).to.equal('stored');
      expect(await store.append({ ...m })).to.equal('duplicate');
      expect(await listed(store, 'alice')).to.deep.equal([m]);
    });

    it('stores concurrent appends, each once, in the order they were called', async () => {
      const store = open();
      const messages = Array.from({ length: 20 }, (_, i) => message('alice', `m${i}`));
      const outcomes = await Promise.all([...messages, messages[3]!].map((m) => store.append(m)));
      expect(outcomes.filter((o) => o === 'stored')).to.have.length(20);
      expect(outcomes[20]).to.equal('duplicate');
      expect(await listed(store, 'alice')).to.deep.equal(messages);
    });

    it('refuses an append beyond the message-count quota with full', async () => {
      const store = open({ maxMessages: 2, maxBytes: DEFAULT_MAILBOX_QUOTA.maxBytes });
      expect(await store.append(message('alice', 'm1'))).to.equal('stored');
      expect(await store.append(message('alice', 'm2'))).to.equal('stored');
      expect(await store.append(message('alice', 'm3'))).to.equal('full');
      expect(await store.append(message('bob', 'm3'))).to.equal('stored');
      expect((await store.list('alice')).map((m) => m.id)).to.deep.equal(['m1', 'm2']);
      await store.remove('alice', ['m1']);
      expect(await store.append(message('alice', 'm3'))).to.equal('stored');
    });

    it('refuses an append beyond the byte quota with full, counting UTF-8 bytes', async () => {
      const store = open({ maxMessages: 100, maxBytes: 10 });
      expect(await store.append(message('alice', 'm1', 'aaaaa'))).to.equal('stored');
      expect(await store.append(message('alice', 'm2', 'ééé'))).to.equal('full');
      expect(await store.append(message('alice', 'm3', 'bbbbb'))).to.equal('stored');
      expect(await store.append(message('alice', 'm4', ''))).to.equal('stored');
      expect(await store.append(message('alice', 'm5', 'c'))).to.equal('full');
      expect((await store.list('alice')).map((m) => m.id)).to.deep.equal(['m1', 'm3', 'm4']);
    });

    it('removes the given ids and keeps the rest in order', async () => {
      const store = open();
      const [a, b, c, d] = ['m1', 'm2', 'm3', 'm4'].map((id) => message('alice', id));
      for (const m of [a!, b!, c!, d!]) await store.append(m);
      await store.remove('alice', ['m2', 'm4', 'not-there']);
      expect(await listed(store, 'alice')).to.deep.equal([a, c]);
      await store.remove('alice', ['not-there']);
      await store.remove('nobody', ['m1']);
      expect(await listed(store, 'alice')).to.deep.equal([a, c]);
    });

    it('empties a mailbox by removing everything, and stores again afterwards', async () => {
      const store = open();
      await store.append(message('alice', 'm1'));
      await store.remove('alice', ['m1']);
      expect(await listed(store, 'alice')).to.deep.equal([]);
      const again = message('alice', 'm1', 'sent again later');
      expect(await store.append(again)).to.equal('stored');
      expect(await listed(store, 'alice')).to.deep.equal([again]);
    });

    it('keeps recipients apart: ids, quotas and removals are per recipient', async () => {
      const store = open({ maxMessages: 1, maxBytes: 1000 });
      const forAlice = message('alice', 'same-id', 'for alice');
      const forBob = message('bob', 'same-id', 'for bob');
      expect(await store.append(forAlice)).to.equal('stored');
      expect(await store.append(forBob)).to.equal('stored');
      await store.remove('alice', ['same-id']);
      expect(await listed(store, 'alice')).to.deep.equal([]);
      expect(await listed(store, 'bob')).to.deep.equal([forBob]);
    });

    it('keeps the messages for a store opened again on the same location', async () => {
      const first = open();
      const kept = [message('alice', 'm1'), message('alice', 'm2'), message('bob', 'm3')];
      for (const m of kept) await first.append(m);
      await first.remove('alice', ['m1']);
      await harness.close(first);
      const second = open();
      expect(await listed(second, 'alice')).to.deep.equal([kept[1]]);
      expect(await listed(second, 'bob')).to.deep.equal([kept[2]]);
      expect(await second.append(kept[1]!)).to.equal('duplicate');
    });

    it('gives each stored message a place in line, in the order stored even when the clock was stepped back', async () => {
      const store = open();
      const late = { ...message('alice', 'm1'), storedAtMs: 1_700_000_009_000 };
      const stepped = { ...message('alice', 'm2'), storedAtMs: 1_700_000_001_000 };
      const earlier = { ...message('alice', 'm3'), storedAtMs: 1_600_000_000_000 };
      for (const m of [late, stepped, earlier]) await store.append(m);
      await store.append(message('bob', 'm9'));
      const list = await store.list('alice');
      expect(plain(list)).to.deep.equal([late, stepped, earlier]);
      const seqs = list.map((m) => m.seq);
      expect(seqs[0]).to.be.a('number');
      expect([...seqs].sort((a, b) => a - b)).to.deep.equal(seqs);
      expect(new Set(seqs).size).to.equal(3);
      expect(deliveryOrder(list).map((m) => m.id)).to.deep.equal(['m1', 'm2', 'm3']);
    });

    it('keeps the places in line across a new open, and places later messages after them', async () => {
      const first = open();
      for (const id of ['m1', 'm2', 'm3']) await first.append({ ...message('alice', id), storedAtMs: 2_000_000_000_000 - Number(id.slice(1)) });
      await first.remove('alice', ['m3']);
      const before = await first.list('alice');
      await harness.close(first);
      const second = open();
      expect(await second.list('alice')).to.deep.equal(before);
      await second.append({ ...message('alice', 'm4'), storedAtMs: 1 });
      const after = await second.list('alice');
      expect(after.map((m) => m.id)).to.deep.equal(['m1', 'm2', 'm4']);
      expect(after[2]!.seq).to.be.greaterThan(after[1]!.seq);
      expect(deliveryOrder(after).map((m) => m.id)).to.deep.equal(['m1', 'm2', 'm4']);
    });

    it('counts the messages refused for a full mailbox, per recipient, a retried one once', async () => {
      const store = open({ maxMessages: 1, maxBytes: 1000 });
      expect(await store.refused('alice')).to.equal(0);
      await store.append(message('alice', 'm1'));
      expect(await store.append(message('alice', 'm2'))).to.equal('full');
      expect(await store.append(message('alice', 'm2'))).to.equal('full');
      expect(await store.append(message('alice', 'm3'))).to.equal('full');
      expect(await store.append(message('bob', 'm4'))).to.equal('stored');
      expect(await store.refused('alice')).to.equal(2);
      expect(await store.refused('bob')).to.equal(0);
      expect(await listed(store, 'alice')).to.have.length(1);
    });

    it('clears only the refused messages reported, keeping those refused since', async () => {
      const store = open({ maxMessages: 1, maxBytes: 1000 });
      await store.append(message('alice', 'm1'));
      for (const id of ['m2', 'm3', 'm4']) await store.append(message('alice', id));
      const reported = await store.refused('alice');
      expect(reported).to.equal(3);
      await store.append(message('alice', 'm5'));
      await store.clearRefused('alice', reported);
      expect(await store.refused('alice')).to.equal(1);
      await store.clearRefused('alice', 5);
      expect(await store.refused('alice')).to.equal(0);
      await store.clearRefused('nobody', 2);
      expect(await store.refused('nobody')).to.equal(0);
      expect((await store.list('alice')).map((m) => m.id)).to.deep.equal(['m1']);
    });

    it('keeps the refused count across a new open, also for a mailbox emptied since', async () => {
      const first = open({ maxMessages: 1, maxBytes: 1000 });
      await first.append(message('alice', 'm1'));
      await first.append(message('alice', 'm2'));
      await first.append(message('alice', 'm3'));
      await first.remove('alice', ['m1']);
      await harness.close(first);
      const second = open({ maxMessages: 1, maxBytes: 1000 });
      expect(await second.refused('alice')).to.equal(2);
      expect(await second.list('alice')).to.deep.equal([]);
      await second.clearRefused('alice', 1);
      await harness.close(second);
      const third = open({ maxMessages: 1, maxBytes: 1000 });
      expect(await third.refused('alice')).to.equal(1);
      await third.clearRefused('alice', 1);
      await harness.close(third);
      expect(await open().refused('alice')).to.equal(0);
      const location = harness.location();
      if (location.files) expect(location.files()).to.deep.equal([]);
    });

    it('keeps counting through many refusals (the count is not bounded by the lines it writes)', async () => {
      const store = open({ maxMessages: 1, maxBytes: 1000 });
      await store.append(message('alice', 'm0'));
      for (let i = 1; i <= 150; i++) expect(await store.append(message('alice', `r${i}`))).to.equal('full');
      await store.clearRefused('alice', 20);
      await harness.close(store);
      const again = open({ maxMessages: 1, maxBytes: 1000 });
      expect(await again.refused('alice')).to.equal(130);
      expect((await again.list('alice')).map((m) => m.id)).to.deep.equal(['m0']);
    });

    it('waits in close() for the calls under way; refuses calls made after it began (or, shared in memory, stays usable)', async function () {
      const location = harness.location();
      if (!location.refusesAfterClose) {
        // The in-memory store is shared by a scenario's successive servers: close keeps it whole and usable.
        const shared = open();
        await shared.append(message('alice', 'm1'));
        await harness.close(shared);
        expect(await shared.append(message('alice', 'm2'))).to.equal('stored');
        expect((await shared.list('alice')).map((m) => m.id)).to.deep.equal(['m1', 'm2']);
        return;
      }
      const store = open();
      const inFlight = [store.append(message('alice', 'm1')), store.append(message('bob', 'm2'))];
      const closing = harness.close(store);
      for (const late of [() => store.append(message('alice', 'm3')), () => store.list('alice'), () => store.remove('alice', ['m1']), () => store.refused('alice'), () => store.clearRefused('alice', 1)]) {
        let error: unknown;
        await late().catch((e: unknown) => { error = e; });
        expect(error).to.be.instanceOf(StoreClosedError);
      }
      expect(await Promise.all(inFlight)).to.deep.equal(['stored', 'stored']);
      await closing;
      const again = open();
      expect((await again.list('alice')).map((m) => m.id)).to.deep.equal(['m1']);
      expect((await again.list('bob')).map((m) => m.id)).to.deep.equal(['m2']);
    });

    it('treats hostile recipient keys as opaque: no file outside the data directory, no mix-ups', async () => {
      const store = open();
      const hostile = ['../x', `../../../../../../../../tmp/chatapp-evil-${process.pid}`, '/etc/passwd', 'CON', 'nul.txt', '__proto__', 'constructor', 'a/b\\c:d', '.', '', 'x'.repeat(300), 'ALICE', 'alice'];
      const sent = hostile.map((key, i) => message(key, `m${i}`, key));
      for (const m of sent) expect(await store.append(m), JSON.stringify(m.recipient)).to.equal('stored');
      for (const m of sent) expect(await listed(store, m.recipient), JSON.stringify(m.recipient)).to.deep.equal([m]);
      const location = harness.location();
      if (location.files && location.dataDir) {
        const escapee = path.resolve(location.dataDir, 'mailboxes', hostile[1]!);
        for (const p of [escapee, `${escapee}.log`]) expect(fs.existsSync(p), p).to.equal(false);
        const files = location.files();
        expect(files).to.have.length(hostile.length);
        for (const f of files) expect(f).to.match(/^data[/\\]mailboxes[/\\][0-9a-f]{64}\.log$/);
      }
    });
  });
}

mailboxStoreContract('InMemoryMailboxStore', () => {
  let store: InMemoryMailboxStore | undefined;
  return {
    // One instance is the location: a "reopened" in-memory store is the same object.
    open: (quota) => (store ??= new InMemoryMailboxStore(quota)),
    remove: () => undefined,
  };
});

mailboxStoreContract('FsMailboxStore', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-mailbox-contract-'));
  const dataDir = path.join(root, 'data');
  return {
    dataDir,
    refusesAfterClose: true,
    open: (quota) => new FsMailboxStore(dataDir, quota),
    files: () => listFiles(root),
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
});

describe('on Redis', () => {
  const redis = useRedisServer();
  mailboxStoreContract('RedisMailboxStore', () => {
    const prefix = uniquePrefix('mailbox');
    return {
      refusesAfterClose: true,
      open: (quota) => new RedisMailboxStore(redis.client(), prefix, quota),
      remove: () => undefined,
    };
  });
});
