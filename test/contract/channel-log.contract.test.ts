import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsChannelLog } from '../../src/adapters/fs/fs-channel-log';
import { InMemoryChannelLog } from '../../src/adapters/in-memory/in-memory-channel-log';
import { RedisChannelLog } from '../../src/adapters/redis/redis-channel-log';
import { uniquePrefix, useRedisServer } from '../support/redis-server';
import { useStoreLocation } from '../support/store-location';
import type { ChannelEntry, ChannelLog, PendingChannelEntry } from '../../src/application/ports/channel-log';

/** A place a channel log lives: `open` gives a log on it (again after `close`, the same entries). */
interface ChannelLogLocation {
  open(): ChannelLog;
  remove(): void;
}

let nextTime = 1_700_000_000_000;

function entry(id: string, recipients: string[] = ['bob', 'carol', 'dave'], text = `text of ${id}`): ChannelEntry {
  return { id, sender: 'Alice', text, storedAtMs: nextTime++, recipients };
}

function owed(e: ChannelEntry, recipients: readonly string[] = e.recipients): PendingChannelEntry {
  return { entry: e, recipients };
}

/** The logs a system of several instances shares also keep who recorded each entry last. */
function instanceTagContract(adapter: string, newLocation: () => ChannelLogLocation): void {
  describe(`ChannelLog contract, shared by instances: ${adapter}`, () => {
    const harness = useStoreLocation<ChannelLog, [], ChannelLogLocation>(newLocation);
    const open = harness.open;

    it('keeps the instance that recorded an entry; a retry through another instance makes that one its recorder', async () => {
      const log = open();
      const e = { ...entry('c1'), by: 'instance-a' };
      const plain = entry('c2');
      await log.record(e);
      await log.record(plain);
      expect(await log.pending()).to.deep.equal([owed(e), owed(plain)]);
      await log.delivered('c1', 'bob');
      await log.record({ ...e, by: 'instance-b' });
      expect((await log.pending()).map((p) => [p.entry.id, p.entry.by])).to.deep.equal([['c1', 'instance-b'], ['c2', undefined]]);
    });
  });
}

function channelLogContract(adapter: string, newLocation: () => ChannelLogLocation): void {
  describe(`ChannelLog contract: ${adapter}`, () => {
    const harness = useStoreLocation<ChannelLog, [], ChannelLogLocation>(newLocation);
    const open = harness.open;

    it('owes nothing when nothing was recorded', async () => {
      expect(await open().pending()).to.deep.equal([]);
    });

    it('owes a recorded message to every recipient, every field intact', async () => {
      const log = open();
      const e = entry('c1', ['bob', 'carol'], 'hello "all"\nline two, tab\t, NUL\u0000, é, 日本, 🎉');
      await log.record(e);
      expect(await log.pending()).to.deep.equal([owed(e)]);
    });

    it('stops owing it to each recipient marked delivered, and forgets it once all have it', async () => {
      const log = open();
      const e = entry('c1');
      await log.record(e);
      await log.delivered('c1', 'carol');
      expect(await log.pending()).to.deep.equal([owed(e, ['bob', 'dave'])]);
      await log.delivered('c1', 'bob');
      await log.delivered('c1', 'dave');
      expect(await log.pending()).to.deep.equal([]);
    });

    it('records a retried id once per member: a retry neither duplicates it nor owes it again to who has it', async () => {
      const log = open();
      const e = entry('c1');
      await log.record(e);
      await log.delivered('c1', 'bob');
      await log.record({ ...e, storedAtMs: e.storedAtMs + 5 });
      expect(await log.pending()).to.deep.equal([owed(e, ['carol', 'dave'])]);
    });

    it('a retry that finds new members (the table changed meanwhile) owes it to them too', async () => {
      const log = open();
      const e = entry('c1', ['bob', 'carol']);
      await log.record(e);
      await log.delivered('c1', 'bob');
      // Killed before the ACK, retried: carol and erin are online now (erin's mailbox copy may never have been written).
      await log.record({ ...e, recipients: ['carol', 'erin'] });
      expect(await log.pending()).to.deep.equal([owed({ ...e, recipients: ['bob', 'carol', 'erin'] }, ['carol', 'erin'])]);
      await log.delivered('c1', 'carol');
      await log.delivered('c1', 'erin');
      expect(await log.pending()).to.deep.equal([]);
    });

    it('records afresh an id no longer owed to anyone (its members dedup the copy)', async () => {
      const log = open();
      const e = entry('c1', ['bob']);
      await log.record(e);
      await log.delivered('c1', 'bob');
      await log.record(e);
      expect(await log.pending()).to.deep.equal([owed(e)]);
    });

    it('lists what is owed oldest first, concurrent records each once', async () => {
      const log = open();
      const entries = Array.from({ length: 30 }, (_, i) => entry(`c${i}`, ['bob']));
      await Promise.all([...entries, entries[4]!, entries[17]!].map((e) => log.record(e)));
      expect(await log.pending()).to.deep.equal(entries.map((e) => owed(e)));
    });

    it('ignores a delivery for an unknown id or a recipient not owed it, and owes nothing for no recipients', async () => {
      const log = open();
      const e = entry('c1', ['bob']);
      await log.record(e);
      await log.delivered('nope', 'bob');
      await log.delivered('c1', 'mallory');
      await log.record(entry('c2', []));
      expect(await log.pending()).to.deep.equal([owed(e)]);
    });

    it('keeps what is owed across a close and reopen (a restart)', async () => {
      const first = open();
      const [a, b, c] = [entry('a'), entry('b', ['bob']), entry('c', ['carol', 'dave'])];
      for (const e of [a, b, c]) await first.record(e);
      await first.delivered('a', 'dave');
      await first.delivered('b', 'bob');
      await first.record({ ...c, recipients: ['erin'] });
      await first.close();
      const second = open();
      const after = await second.pending();
      expect(after.map((p) => [p.entry.id, p.recipients])).to.deep.equal([['a', ['bob', 'carol']], ['c', ['carol', 'dave', 'erin']]]);
      expect(after[1]).to.deep.equal(owed({ ...c, recipients: ['carol', 'dave', 'erin'] }));
      await second.delivered('a', 'bob');
      await second.record({ ...a, recipients: ['dave', 'frank'] });
      await second.close();
      expect((await open().pending()).map((p) => [p.entry.id, p.recipients])).to.deep.equal([['a', ['carol', 'frank']], ['c', ['carol', 'dave', 'erin']]]);
    });
  });
}

channelLogContract('in memory', () => {
  const log = new InMemoryChannelLog();
  return { open: () => log, remove: () => undefined };
});

instanceTagContract('in memory', () => {
  const log = new InMemoryChannelLog();
  return { open: () => log, remove: () => undefined };
});

channelLogContract('file system', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-channel-log-'));
  return {
    open: () => new FsChannelLog(path.join(dir, 'server-5000')),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});

describe('on Redis', () => {
  const redis = useRedisServer();
  channelLogContract('RedisChannelLog', () => {
    const prefix = uniquePrefix('channel-log');
    return { open: () => new RedisChannelLog(redis.client(), prefix), remove: () => undefined };
  });
  instanceTagContract('RedisChannelLog', () => {
    const prefix = uniquePrefix('channel-log');
    return { open: () => new RedisChannelLog(redis.client(), prefix), remove: () => undefined };
  });
});
