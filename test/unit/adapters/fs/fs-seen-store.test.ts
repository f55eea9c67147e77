import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeLine } from '../../../../src/adapters/fs/checksummed-lines';
import { NodeFileSystem } from '../../../../src/adapters/fs/file-system';
import { FsSeenStore } from '../../../../src/adapters/fs/fs-seen-store';
import { RecordingFileSystem } from '../../../support/recording-file-system';

describe('FsSeenStore', () => {
  let dir: string;
  let stores: FsSeenStore[];

  const seenFile = (nameKey: string): string =>
    path.join(dir, 'seen', `${createHash('sha256').update(nameKey, 'utf8').digest('hex')}.log`);
  const open = (fileSystem = new NodeFileSystem(), kept?: number): FsSeenStore => {
    const store = new FsSeenStore(dir, fileSystem, kept);
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-fs-seen-'));
    stores = [];
  });
  afterEach(async () => {
    for (const store of stores) await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a name in a file named by its hash, never by the name, readable by its owner only', async () => {
    await open().add('../alice', 'bob|1');
    expect(fs.readdirSync(path.join(dir, 'seen'))).to.deep.equal([path.basename(seenFile('../alice'))]);
    if (process.platform !== 'win32') {
      expect(fs.statSync(seenFile('../alice')).mode & 0o777).to.equal(0o600);
      expect(fs.statSync(path.join(dir, 'seen')).mode & 0o777).to.equal(0o700);
    }
  });

  it('drops a torn last line and appends cleanly after it', async () => {
    fs.mkdirSync(path.join(dir, 'seen'));
    const whole = encodeLine({ k: 'bob|1' });
    fs.writeFileSync(seenFile('alice'), Buffer.concat([whole, encodeLine({ k: 'bob|2' }).subarray(0, 9)]));
    const store = open();
    expect(await store.load('alice')).to.deep.equal(['bob|1']);
    await store.add('alice', 'bob|3');
    await store.close();
    expect(await open().load('alice')).to.deep.equal(['bob|1', 'bob|3']);
  });

  it('writes concurrent adds in a few appends, resolves them without waiting for the fsync that follows, and flush waits for it', async () => {
    const spy = new RecordingFileSystem(new NodeFileSystem());
    const store = open(spy);
    await store.load('alice');
    const file = path.basename(seenFile('alice'));
    // Opening syncs once (what a killed predecessor wrote becomes durable); count from here.
    const syncedAtOpen = spy.count(`sync-end ${file}`);
    spy.holdSyncs();
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.add('alice', `bob|${i}`)));
    // Every add resolved with the fsync held: each key is in the file (a killed process keeps it).
    expect(spy.count(`append ${file}`), spy.events.join('\n')).to.be.within(1, 3);
    expect(await open().load('alice')).to.have.length(20);
    for (let i = 0; i < 2000 && spy.count(`sync-start ${file}`) === 0; i++) await new Promise((r) => setTimeout(r, 1));
    expect(spy.count(`sync-start ${file}`), 'an fsync follows the writes on its own').to.be.greaterThan(0);
    expect(spy.count(`sync-end ${file}`)).to.equal(syncedAtOpen);
    let flushed = false;
    const flushing = store.flush().then(() => { flushed = true; });
    await new Promise((r) => setTimeout(r, 20));
    expect(flushed, 'flush resolved with the fsync held').to.equal(false);
    spy.releaseSyncs();
    await flushing;
    expect(spy.count(`sync-end ${file}`) - syncedAtOpen, 'the adds shared at most two fsyncs').to.be.within(1, 2);
  });

  it('reports a background fsync that failed at the next flush, and reopens the file for the next add', async () => {
    const failing = new RecordingFileSystem(new NodeFileSystem());
    let fail = false;
    const inner = failing.open.bind(failing);
    failing.open = async (file, mode, permissions) => {
      const handle = await inner(file, mode, permissions);
      return { ...handle, sync: () => (fail ? Promise.reject(new Error('EIO')) : handle.sync()) };
    };
    const store = open(failing);
    await store.load('alice');
    fail = true;
    await store.add('alice', 'bob|1');
    let error: unknown;
    await store.flush().catch((e: unknown) => { error = e; });
    expect(String(error)).to.contain('EIO');
    fail = false;
    const opened = failing.count('open append');
    await store.add('alice', 'bob|2');
    await store.flush();
    expect(failing.count('open append'), 'reopened after the failed fsync').to.equal(opened + 1);
    expect(await open().load('alice')).to.deep.equal(['bob|1', 'bob|2']);
  });

  it('compacts past twice the kept keys: synced temp renamed over the log, then the folder synced', async () => {
    const spy = new RecordingFileSystem(new NodeFileSystem());
    const store = open(spy, 4);
    const file = path.basename(seenFile('alice'));
    for (let i = 0; i < 9; i++) await store.add('alice', `bob|${i}`);
    const lines = (): number => fs.readFileSync(seenFile('alice'), 'utf8').split('\n').length - 1;
    expect(lines(), 'compacted when the ninth line went past 2 x 4').to.equal(4);
    const e = spy.events;
    const rename = e.findIndex((x) => x.startsWith('rename ') && x.endsWith(` ${file}`));
    const temp = e[rename]!.split(' ')[1]!;
    expect(e.indexOf(`sync-end ${temp}`), e.join('\n')).to.be.within(0, rename);
    expect(e.indexOf('syncDir seen', rename), e.join('\n')).to.be.greaterThan(rename);
    for (let i = 9; i < 40; i++) await store.add('alice', `bob|${i}`);
    expect(lines()).to.be.at.most(8);
    expect(fs.readdirSync(path.join(dir, 'seen'))).to.deep.equal([file]);
    expect(await open(undefined, 4).load('alice')).to.deep.equal(['bob|36', 'bob|37', 'bob|38', 'bob|39']);
  });
});
