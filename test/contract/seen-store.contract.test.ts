import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsSeenStore } from '../../src/adapters/fs/fs-seen-store';
import { InMemorySeenStore } from '../../src/adapters/in-memory/in-memory-seen-store';
import { useStoreLocation } from '../support/store-location';
import type { SeenStore } from '../../src/application/ports/seen-store';

/** A place a seen store lives: `open` gives a store on it (a new process of the same user). */
interface SeenStoreLocation {
  open(kept?: number): SeenStore;
  remove(): void;
}

function seenStoreContract(adapter: string, newLocation: () => SeenStoreLocation): void {
  describe(`SeenStore contract: ${adapter}`, () => {
    const harness = useStoreLocation<SeenStore, [kept?: number], SeenStoreLocation>(newLocation);
    const open = harness.open;

    it('knows no keys for a name never seen', async () => {
      expect(await open().load('alice')).to.deep.equal([]);
    });

    it('loads the added keys oldest first, each once, every character intact', async () => {
      const store = open();
      const odd = 'bob|id with "quotes", a\nnewline, NUL\u0000, é, 日本, 🎉';
      for (const key of ['bob|1', 'carol|7', odd, 'bob|1']) await store.add('alice', key);
      expect(await store.load('alice')).to.deep.equal(['carol|7', odd, 'bob|1']);
    });

    it('keeps each name apart', async () => {
      const store = open();
      await store.add('alice', 'bob|1');
      await store.add('bob', 'alice|2');
      await store.add('../alice', 'eve|3');
      expect(await store.load('alice')).to.deep.equal(['bob|1']);
      expect(await store.load('bob')).to.deep.equal(['alice|2']);
      expect(await store.load('../alice')).to.deep.equal(['eve|3']);
    });

    it('a new process sees every key whose add resolved, closed or not (an exit or a kill)', async () => {
      const first = open();
      await first.add('alice', 'bob|1');
      await first.add('alice', 'bob|2');
      expect(await open().load('alice')).to.deep.equal(['bob|1', 'bob|2']);
      await first.add('alice', 'bob|3');
      await first.close();
      expect(await open().load('alice')).to.deep.equal(['bob|1', 'bob|2', 'bob|3']);
    });

    it('keeps every key of adds made at once', async () => {
      const store = open();
      const keys = Array.from({ length: 50 }, (_, i) => `bob|${i}`);
      await Promise.all(keys.map((k) => store.add('alice', k)));
      expect(await store.load('alice')).to.deep.equal(keys);
      expect(await open().load('alice')).to.deep.equal(keys);
    });

    it('is bounded: only the most recent keys are kept, here and in a new process', async () => {
      const store = open(5);
      for (let i = 0; i < 23; i++) await store.add('alice', `bob|${i}`);
      await store.add('alice', 'bob|19');
      const recent = ['bob|18', 'bob|20', 'bob|21', 'bob|22', 'bob|19'];
      expect(await store.load('alice')).to.deep.equal(recent);
      await store.close();
      const again = open(5);
      expect(await again.load('alice')).to.deep.equal(recent);
      await again.add('alice', 'bob|23');
      await again.close();
      expect(await open(5).load('alice')).to.deep.equal([...recent.slice(1), 'bob|23']);
    });

    it('goes on working after close', async () => {
      const store = open();
      await store.add('alice', 'bob|1');
      await store.close();
      await store.add('alice', 'bob|2');
      expect(await store.load('alice')).to.deep.equal(['bob|1', 'bob|2']);
    });
  });
}

seenStoreContract('in memory', () => {
  const stores = new Map<number, InMemorySeenStore>();
  return {
    open: (kept = 10_000) => {
      let store = stores.get(kept);
      if (!store) {
        store = new InMemorySeenStore(kept);
        stores.set(kept, store);
      }
      return store;
    },
    remove: () => undefined,
  };
});

seenStoreContract('file system', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-seen-'));
  return {
    open: (kept) => new FsSeenStore(path.join(dir, 'client'), undefined, kept),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});
