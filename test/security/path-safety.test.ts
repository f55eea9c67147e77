import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsMailboxStore } from '../../src/adapters/fs/fs-mailbox-store';
import { FsSecretStore } from '../../src/adapters/fs/fs-secret-store';
import { nameKey, parseNickname } from '../../src/domain/nickname';
import { DEFAULT_MAILBOX_QUOTA, type StoredMessage } from '../../src/domain/offline-mailbox';
import { paddedRegister } from '../support/attacker';
import { LinkedPeer } from '../support/linked-peer';
import { Scenario, SERVER_PORT } from '../support/scenario';

/** Names that attack file systems, object keys, case folding and look-alikes. */
const HOSTILE_NAMES = [
  '../x', '..', '.', '/etc/passwd', '..\\..\\windows', 'a/b', 'x\u0000y', '\u0000', 'n'.repeat(300), 'n'.repeat(33), '',
  'CON', 'con', 'NUL', 'PRN', 'AUX', 'COM1', 'LPT1', 'con.txt', '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString',
  '\uff58', '\uff38', 'x\u200b', '\u212a', 'ß', 'İ', ' x', 'x ', '.hidden', '~', '$HOME', '%2e%2e', '*', 'x\ny', 'x\u202e',
  'Alice', 'ALICE', 'alice', '-', '_', 'n'.repeat(32),
];

/** Every file under `dir`, relative to it. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full).map((f) => path.join(entry.name, f)));
    else out.push(entry.name);
  }
  return out;
}

describe('security: path safety of names', () => {
  let root: string;
  let dataDir: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-paths-'));
    dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('every hostile name is refused by parseNickname or is plain ASCII; case variants are one identity', () => {
    const accepted = HOSTILE_NAMES.filter((n) => parseNickname(n).ok);
    const refused = HOSTILE_NAMES.filter((n) => !parseNickname(n).ok);
    console.log(`      ${HOSTILE_NAMES.length} hostile names: ${refused.length} refused, ${accepted.length} accepted (${accepted.map((n) => (n.length > 12 ? `${n.slice(0, 3)}…(${n.length})` : n)).join(' ')})`);
    for (const n of accepted) expect(n, JSON.stringify(n)).to.match(/^[A-Za-z0-9_-]{1,32}$/);
    for (const n of ['../x', '/etc/passwd', 'x\u0000y', 'n'.repeat(300), '\uff58', '\u212a', 'İ', 'x\u200b', 'x\ny', 'con.txt']) {
      expect(parseNickname(n).ok, JSON.stringify(n)).to.equal(false);
    }
    expect(new Set(['Alice', 'ALICE', 'alice'].map(nameKey)).size).to.equal(1);
  });

  it('mailbox and secret files: distinct names map to distinct safe files inside the data directory, even for raw unvalidated keys', async () => {
    const mailbox = new FsMailboxStore(dataDir, DEFAULT_MAILBOX_QUOTA);
    const secrets = new FsSecretStore(dataDir);
    // Validated names go through nameKey; as defence in depth the stores also get every raw hostile string as a key.
    const keys = [...new Set([...HOSTILE_NAMES.filter((n) => parseNickname(n).ok).map(nameKey), ...HOSTILE_NAMES.filter((n) => n.length > 0)])];
    const message = (key: string, i: number): StoredMessage => ({ id: `m${i}`, recipient: key, sender: 'mallory', kind: 'direct', storedAtMs: 1, text: `for ${JSON.stringify(key)}` });
    for (const [i, key] of keys.entries()) {
      expect(await mailbox.append(message(key, i))).to.equal('stored');
      await secrets.secretFor(key, () => `secret-of-${i}`);
    }
    for (const [i, key] of keys.entries()) {
      const listed = await mailbox.list(key);
      expect(listed.map((m) => m.text), JSON.stringify(key)).to.deep.equal([message(key, i).text]);
      expect(await secrets.secretFor(key, () => 'never')).to.equal(`secret-of-${i}`);
    }
    await mailbox.close();
    const files = walk(dataDir);
    const outside = fs.readdirSync(root).filter((f) => f !== 'data');
    const unsafe = files.filter((f) => !/^(mailboxes|secrets)\/[0-9a-f]{64}\.(log|secret)$/.test(f));
    const mailboxFiles = files.filter((f) => f.startsWith('mailboxes/'));
    const secretFiles = files.filter((f) => f.startsWith('secrets/'));
    console.log(
      `      ${keys.length} distinct hostile keys: ${mailboxFiles.length} mailbox files, ${secretFiles.length} secret files, ` +
        `${unsafe.length} unsafe file names, ${outside.length} files outside the data directory`,
    );
    expect(outside).to.deep.equal([]);
    expect(unsafe).to.deep.equal([]);
    expect(mailboxFiles).to.have.length(keys.length);
    expect(secretFiles).to.have.length(keys.length);
    for (const probe of ['x', 'etc/passwd', '../x']) expect(fs.existsSync(path.resolve(dataDir, probe))).to.equal(false);
  });

  it('over the wire: the server refuses every invalid hostile name with invalid-name; the odd valid ones (__proto__, CON) chat normally', async () => {
    const s = new Scenario({ seed: 8 });
    try {
      await s.startServer();
      // Through a secure session of its own, as any client must.
      const attacker = await LinkedPeer.start(s.network, 6666);
      const invalid = HOSTILE_NAMES.filter((n) => !parseNickname(n).ok);
      invalid.forEach((n, i) => attacker.send({ ip: '127.0.0.1', port: SERVER_PORT }, { ...paddedRegister(`h${i}`, n, 'Secret00000000000000000000'), key: attacker.publicKey }));
      await s.run(200);
      const reasons = attacker.inbox;
      expect(reasons).to.have.length(invalid.length);
      for (const r of reasons) expect(r).to.deep.include({ t: 'refused', reason: 'invalid-name' });
      const proto = await s.startClient('__proto__');
      const con = await s.startClient('CON');
      const ctor = await s.startClient('constructor');
      void proto.type('send CON hello from __proto__');
      void ctor.type('send_all hi from constructor');
      await s.run(200);
      expect(con.lines).to.include('>>> __proto__: hello from __proto__');
      expect(con.lines).to.include('>>> [Channel_Message constructor: hi from constructor]');
      expect(proto.client.tableRows().map((r) => r.name).sort()).to.deep.equal(['CON', '__proto__', 'constructor']);
      expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
    } finally {
      await s.stop();
    }
  });
});
