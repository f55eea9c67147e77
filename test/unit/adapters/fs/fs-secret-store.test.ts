import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsSecretStore } from '../../../../src/adapters/fs/fs-secret-store';

describe('FsSecretStore', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-secrets-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const secretFile = (nameKey: string): string =>
    path.join(dir, 'secrets', `${createHash('sha256').update(nameKey, 'utf8').digest('hex')}.secret`);

  it('creates a secret once and returns it again, also to a new instance on the same directory', async () => {
    let made = 0;
    const create = (): string => `secret-${++made}`;
    expect(await new FsSecretStore(dir).secretFor('alice', create)).to.equal('secret-1');
    expect(await new FsSecretStore(dir).secretFor('alice', create)).to.equal('secret-1');
    expect(await new FsSecretStore(dir).secretFor('bob', create)).to.equal('secret-2');
    expect(made).to.equal(2);
  });

  it('keeps each secret in a file named by the hash of the name, readable by its owner only, with no temp files left', async () => {
    await new FsSecretStore(dir).secretFor('../alice', () => 's3cr3t');
    expect(fs.readFileSync(secretFile('../alice'), 'utf8')).to.equal('s3cr3t');
    expect(fs.readdirSync(path.join(dir, 'secrets'))).to.deep.equal([path.basename(secretFile('../alice'))]);
    if (process.platform !== 'win32') expect(fs.statSync(secretFile('../alice')).mode & 0o777).to.equal(0o600);
  });

  it('mints one secret for concurrent requests for one name', async () => {
    const store = new FsSecretStore(dir);
    let made = 0;
    const secrets = await Promise.all(Array.from({ length: 5 }, () => store.secretFor('carol', () => `secret-${++made}`)));
    expect(new Set(secrets)).to.deep.equal(new Set(['secret-1']));
    expect(made).to.equal(1);
  });

  it('keeps the secret another process stored first', async () => {
    fs.mkdirSync(path.join(dir, 'secrets'));
    fs.writeFileSync(secretFile('dave'), 'theirs', { mode: 0o600 });
    expect(await new FsSecretStore(dir).secretFor('dave', () => 'mine')).to.equal('theirs');
  });
});
