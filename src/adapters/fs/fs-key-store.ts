import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { IdentityKeys, KeyStore } from '../../application/ports/key-store';
import { FsSecretStore } from './fs-secret-store';
import { writeFileDurably } from './private-file';

const PIN_LINE = /^([a-z0-9_-]{1,32}) ([A-Za-z0-9_-]{43})$/;

/** The DER header of an X25519 SubjectPublicKeyInfo (RFC 8410): the raw 32-byte key follows it. */
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PUBLIC_PEM = /-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----/;
const PRIVATE_PEM = /-----BEGIN PRIVATE KEY-----[A-Za-z0-9+/=\s]+-----END PRIVATE KEY-----\n?/;

/**
 * A client's identity key pairs in `<dir>/keys/<sha256(nameKey)>.key`, mode 0600: the private
 * key as PKCS#8 PEM followed by the public key as SPKI PEM, written and named exactly as the
 * name secrets are (FsSecretStore: fsynced temp file, link(2), never a half-written key).
 * Copying the file to another machine's data directory moves the name there.
 */
export class FsKeyStore implements KeyStore {
  private readonly files: FsSecretStore;

  constructor(private readonly dir: string) {
    this.files = new FsSecretStore(dir, 'keys', '.key');
  }

  /** Pins in `<dir>/keys/<sha256(nameKey)>.pins`, one `<name key> <public key>` line each (mode 0600). */
  async peerPins(nameKey: string): Promise<Map<string, string>> {
    const pins = new Map<string, string>();
    let text = '';
    try {
      text = await fsp.readFile(this.pinsFile(nameKey), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      const match = PIN_LINE.exec(line);
      if (match) pins.set(match[1]!, match[2]!);
    }
    return pins;
  }

  async savePeerPins(nameKey: string, pins: ReadonlyMap<string, string>): Promise<void> {
    const file = this.pinsFile(nameKey);
    const text = [...pins].map(([name, key]) => `${name} ${key}\n`).join('');
    // Off the event loop (a client's first table may pin thousands of names).
    await writeFileDurably(file, text);
  }

  private pinsFile(nameKey: string): string {
    return path.join(this.dir, 'keys', `${createHash('sha256').update(nameKey, 'utf8').digest('hex')}.pins`);
  }

  async keysFor(nameKey: string, create: () => IdentityKeys): Promise<IdentityKeys> {
    const text = await this.files.secretFor(nameKey, () => toFile(create()));
    const keys = fromFile(text);
    if (!keys) throw new Error(`the key file of ${nameKey} is not a key pair this program wrote`);
    return keys;
  }
}

function toFile(keys: IdentityKeys): string {
  const spki = Buffer.concat([X25519_SPKI_PREFIX, Buffer.from(keys.publicKey, 'base64url')]).toString('base64');
  return `${keys.privateKey.trimEnd()}\n-----BEGIN PUBLIC KEY-----\n${spki}\n-----END PUBLIC KEY-----\n`;
}

function fromFile(text: string): IdentityKeys | undefined {
  const privateKey = PRIVATE_PEM.exec(text)?.[0];
  const spki = PUBLIC_PEM.exec(text)?.[1];
  if (!privateKey || !spki) return undefined;
  const der = Buffer.from(spki.replace(/\s/g, ''), 'base64');
  if (der.length !== X25519_SPKI_PREFIX.length + 32 || !der.subarray(0, X25519_SPKI_PREFIX.length).equals(X25519_SPKI_PREFIX)) return undefined;
  return { publicKey: der.subarray(X25519_SPKI_PREFIX.length).toString('base64url'), privateKey: privateKey.endsWith('\n') ? privateKey : `${privateKey}\n` };
}
