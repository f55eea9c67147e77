import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import { staticKeyPairFromPem, type StaticKeyPair } from '../wire/noise/noise-xx';
import { writeSyncedTemp } from './private-file';

/**
 * A server's X25519 key pair in one file: the private key as PKCS#8 PEM, mode 0600. The
 * instances of one system share one (`chatapp keygen <file>`, then `--server-key <file>` on
 * each); a lone server keeps its own in its data directory.
 */
export function readServerKey(file: string): StaticKeyPair {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `no server key file ${file}; make one with: chatapp keygen ${file}` : `cannot read the server key file ${file}: ${(error as Error).message}`);
  }
  try {
    return staticKeyPairFromPem(text);
  } catch {
    throw new Error(`${file} is not a server key this program wrote (make one with: chatapp keygen <file>)`);
  }
}

/**
 * Write a new key pair to `file`, which must not exist (a key is never overwritten: clients
 * pinned it). Written to a temp file, fsynced and linked into place, so no reader ever sees
 * half a key. Resolves with the key pair.
 */
export function writeNewServerKey(file: string): StaticKeyPair {
  const { privateKey } = generateKeyPairSync('x25519', {
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const temp = writeSyncedTemp(file, privateKey);
  try {
    // link(2) fails if `file` exists: two servers starting at once keep one key between them.
    fs.linkSync(temp, file);
  } finally {
    fs.unlinkSync(temp);
  }
  return staticKeyPairFromPem(privateKey);
}

/** The key in `file`, made there first if there is none (a lone server's own key in its data directory). */
export function serverKeyIn(file: string): StaticKeyPair {
  if (!fs.existsSync(file)) {
    try {
      return writeNewServerKey(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return readServerKey(file);
}
