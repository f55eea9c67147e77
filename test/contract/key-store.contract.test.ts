import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsKeyStore } from '../../src/adapters/fs/fs-key-store';
import { InMemoryKeyStore } from '../../src/adapters/in-memory/in-memory-key-store';
import { NodeEndToEnd } from '../../src/adapters/system/node-end-to-end';
import type { KeyStore } from '../../src/application/ports/key-store';

/** A place a key store lives: `open` gives a store on it (again: a new process of the same user). */
interface KeyStoreLocation {
  open(): KeyStore;
  remove(): void;
}

const e2e = new NodeEndToEnd();

function keyStoreContract(adapter: string, newLocation: () => KeyStoreLocation): void {
  describe(`KeyStore contract: ${adapter}`, () => {
    let location: KeyStoreLocation;
    beforeEach(() => (location = newLocation()));
    afterEach(() => location.remove());

    it('makes a key pair on first use and gives the same one after, in a new process too', async () => {
      let made = 0;
      const create = () => {
        made += 1;
        return e2e.newIdentity();
      };
      const first = await location.open().keysFor('alice', create);
      expect(e2e.isPublicKey(first.publicKey)).to.equal(true);
      expect(await location.open().keysFor('alice', create)).to.deep.equal(first);
      expect(made).to.equal(1);
    });

    it('keeps each name apart', async () => {
      const store = location.open();
      const alice = await store.keysFor('alice', () => e2e.newIdentity());
      const bob = await store.keysFor('bob', () => e2e.newIdentity());
      const dots = await store.keysFor('../alice', () => e2e.newIdentity());
      expect(new Set([alice.publicKey, bob.publicKey, dots.publicKey]).size).to.equal(3);
    });

    it('mints one key pair for requests made at once', async () => {
      const store = location.open();
      const all = await Promise.all(Array.from({ length: 10 }, () => store.keysFor('alice', () => e2e.newIdentity())));
      expect(new Set(all.map((k) => k.publicKey)).size).to.equal(1);
    });

    it('keeps the keys a user met other names by, per user, as the whole last set saved (a new process reads them)', async () => {
      const one = e2e.newIdentity().publicKey;
      const two = e2e.newIdentity().publicKey;
      expect([...(await location.open().peerPins('alice'))]).to.deep.equal([]);
      await location.open().savePeerPins('alice', new Map([['bob', one], ['carol', two]]));
      await location.open().savePeerPins('alice', new Map([['bob', two]]));
      expect([...(await location.open().peerPins('alice'))]).to.deep.equal([['bob', two]]);
      expect([...(await location.open().peerPins('dave'))]).to.deep.equal([]);
    });

    it('a key pair read back still works: a text sealed to it opens', async () => {
      const alice = await location.open().keysFor('alice', () => e2e.newIdentity());
      const bob = e2e.newIdentity();
      const again = await location.open().keysFor('alice', () => e2e.newIdentity());
      const sealed = e2e.seal(bob, alice.publicKey, 'hello', 'ctx')!;
      expect(new NodeEndToEnd().open(again, bob.publicKey, sealed, 'ctx')).to.equal('hello');
    });
  });
}

keyStoreContract('in memory', () => {
  const store = new InMemoryKeyStore();
  return { open: () => store, remove: () => undefined };
});

keyStoreContract('file system', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-keys-'));
  return { open: () => new FsKeyStore(path.join(dir, 'client')), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
});

describe('FsKeyStore: the key file', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-keys-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is PKCS#8 and SPKI PEM, readable by its owner only, and copying it moves the name', async () => {
    const keys = await new FsKeyStore(path.join(dir, 'a')).keysFor('alice', () => e2e.newIdentity());
    const files = fs.readdirSync(path.join(dir, 'a', 'keys'));
    expect(files).to.have.length(1);
    const file = path.join(dir, 'a', 'keys', files[0]!);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).to.match(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    fs.mkdirSync(path.join(dir, 'b', 'keys'), { recursive: true });
    fs.copyFileSync(file, path.join(dir, 'b', 'keys', files[0]!));
    expect(await new FsKeyStore(path.join(dir, 'b')).keysFor('alice', () => e2e.newIdentity())).to.deep.equal(keys);
  });
});
