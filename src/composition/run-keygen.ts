import { writeNewServerKey } from '../adapters/fs/server-key-file';
import { NodeEndToEnd } from '../adapters/system/node-end-to-end';

/**
 * `chatapp keygen <file>`: a new server key pair in `file` (mode 0600; an existing file is never
 * overwritten, since clients pinned its key). Prints the public key's fingerprint, which clients
 * show when they meet the server. Resolves with the exit status.
 */
export function runKeygen(file: string, out: { print(line: string): void; error(line: string): void }): number {
  try {
    const pair = writeNewServerKey(file);
    out.print(`wrote a server key pair to ${file}; fingerprint ${new NodeEndToEnd().fingerprint(pair.publicKey.toString('base64url'))}`);
    out.print(`give it to every instance of the system: chatapp -s <port> --server-key ${file}`);
    return 0;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    out.error(`chatapp: ${code === 'EEXIST' ? `${file} exists; a server key is never overwritten (clients pinned it)` : `cannot write ${file}: ${(error as Error).message}`}`);
    return 1;
  }
}
