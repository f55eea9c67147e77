import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsMailboxStore } from '../../src/adapters/fs/fs-mailbox-store';
import { InMemoryMailboxStore } from '../../src/adapters/in-memory/in-memory-mailbox-store';
import { useStoreLocation } from '../support/store-location';
import type { MailboxStore } from '../../src/application/ports/mailbox-store';
import { DEFAULT_MAILBOX_QUOTA, type MailboxQuota, type StoredMessage } from '../../src/domain/offline-mailbox';

/** A place mailboxes live: `open` gives a store on it (again after `close`, the same messages). */
interface MailboxLocation {
  open(quota?: MailboxQuota): MailboxStore;
  /** The directory the store may write in, for adapters that write files. */
  readonly dataDir?: string;
  /** Every file under the location's root, relative to it. */
  files?(): string[];
  remove(): void;
}

let nextTime = 1_700_000_000_000;

function message(recipient: string, id: string, text = `text of ${id}`, sender = 'bob'): StoredMessage {
  return { id, recipient, sender, kind: 'direct', storedAtMs: nextTime++, text };
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

    it('lists nothing for a recipient with no messages', async () => {
      expect(await open().list('nobody')).to.deep.equal([]);
    });

    it('lists appended messages in the order stored, every field intact', async () => {
      const store = open();
      const first = message('alice', 'm1', 'hello "world"\nsecond line, tab\t, NUL\u0000, é, 日本, 🎉');
      const second = { ...message('alice', 'm2', ''), kind: 'channel' as const, sender: 'carol' };
      expect(await store.append(first)).to.equal('stored');
      expect(await store.append(second)).to.equal('stored');
      expect(await store.list('alice')).to.deep.equal([first, second]);
    });

    it('stores a retried append with the same id once and answers duplicate', async () => {
      const store = open();
      const m = message('alice', 'm1');
      expect(await store.append(m)).to.equal('stored');
      expect(await store.append({ ...m })).to.equal('duplicate');
      expect(await store.list('alice')).to.deep.equal([m]);
    });

    it('stores concurrent appends, each once, in the order they were called', async () => {
      const store = open();
      const messages = Array.from({ length: 20 }, (_, i) => message('alice', `m${i}`));
      const outcomes = await Promise.all([...messages, messages[3]!].map((m) => store.append(m)));
      expect(outcomes.filter((o) => o === 'stored')).to.have.length(20);
      expect(outcomes[20]).to.equal('duplicate');
      expect(await store.list('alice')).to.deep.equal(messages);
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
      expect(await store.list('alice')).to.deep.equal([a, c]);
      await store.remove('alice', ['not-there']);
      await store.remove('nobody', ['m1']);
      expect(await store.list('alice')).to.deep.equal([a, c]);
    });

    it('empties a mailbox by removing everything, and stores again afterwards', async () => {
      const store = open();
      await store.append(message('alice', 'm1'));
      await store.remove('alice', ['m1']);
      expect(await store.list('alice')).to.deep.equal([]);
      const again = message('alice', 'm1', 'sent again later');
      expect(await store.append(again)).to.equal('stored');
      expect(await store.list('alice')).to.deep.equal([again]);
    });

    it('keeps recipients apart: ids, quotas and removals are per recipient', async () => {
      const store = open({ maxMessages: 1, maxBytes: 1000 });
      const forAlice = message('alice', 'same-id', 'for alice');
      const forBob = message('bob', 'same-id', 'for bob');
      expect(await store.append(forAlice)).to.equal('stored');
      expect(await store.append(forBob)).to.equal('stored');
      await store.remove('alice', ['same-id']);
      expect(await store.list('alice')).to.deep.equal([]);
      expect(await store.list('bob')).to.deep.equal([forBob]);
    });

    it('keeps the messages for a store opened again on the same location', async () => {
      const first = open();
      const kept = [message('alice', 'm1'), message('alice', 'm2'), message('bob', 'm3')];
      for (const m of kept) await first.append(m);
      await first.remove('alice', ['m1']);
      await harness.close(first);
      const second = open();
      expect(await second.list('alice')).to.deep.equal([kept[1]]);
      expect(await second.list('bob')).to.deep.equal([kept[2]]);
      expect(await second.append(kept[1]!)).to.equal('duplicate');
    });

    it('treats hostile recipient keys as opaque: no file outside the data directory, no mix-ups', async () => {
      const store = open();
      const hostile = ['../x', `../../../../../../../../tmp/chatapp-evil-${process.pid}`, '/etc/passwd', 'CON', 'nul.txt', '__proto__', 'constructor', 'a/b\\c:d', '.', '', 'x'.repeat(300), 'ALICE', 'alice'];
      const sent = hostile.map((key, i) => message(key, `m${i}`, key));
      for (const m of sent) expect(await store.append(m), JSON.stringify(m.recipient)).to.equal('stored');
      for (const m of sent) expect(await store.list(m.recipient), JSON.stringify(m.recipient)).to.deep.equal([m]);
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
    open: (quota) => new FsMailboxStore(dataDir, quota),
    files: () => listFiles(root),
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
});
