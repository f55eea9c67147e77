import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsServerPins } from '../../../../src/adapters/fs/fs-server-pins';

const KEY_A = 'A'.repeat(43);
const KEY_B = 'B'.repeat(43);

describe('adapters/fs/fs-server-pins: known_servers', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-pins-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('once settled, every pin made is on disk, the latest key of an address last (a new process reads them)', async () => {
    const pins = new FsServerPins(dir);
    const server = { ip: '127.0.0.1', port: 5000 };
    const other = { ip: '::1', port: 5001 };
    pins.pin(server, KEY_A);
    // Made while the first write is under way: it must land too, after it.
    pins.pin(other, KEY_A);
    pins.pin(server, KEY_B);
    await pins.settled();
    const next = new FsServerPins(dir);
    expect(next.pinned(server)).to.equal(KEY_B);
    expect(next.pinned(other)).to.equal(KEY_A);
    expect(fs.statSync(path.join(dir, 'known_servers')).mode & 0o777).to.equal(0o600);
  });

  it('settled with nothing to write resolves at once; a line it did not write is skipped', async () => {
    fs.writeFileSync(path.join(dir, 'known_servers'), `127.0.0.1:5000 ${KEY_A}\nnot a pin line\n`);
    const pins = new FsServerPins(dir);
    await pins.settled();
    expect(pins.pinned({ ip: '127.0.0.1', port: 5000 })).to.equal(KEY_A);
    expect(pins.pinned({ ip: '127.0.0.1', port: 5001 })).to.equal(undefined);
  });
});
