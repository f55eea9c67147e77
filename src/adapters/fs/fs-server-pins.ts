import fs from 'node:fs';
import path from 'node:path';
import { addressKey, formatAddress, parseAddress, type Address } from '../../domain/address';
import type { ServerPins } from '../wire/link/server-pins';
import { writeFileDurably } from './private-file';

const LINE = /^(\S+) ([A-Za-z0-9_-]{43})$/;

/**
 * Server key pins in `<dir>/known_servers`, one `<address> <key>` line per server, read once
 * at start and written whole on each change (temp file, fsync, rename; mode 0600), so a
 * crash leaves the old file or the new one. A line this program did not write is skipped.
 */
export class FsServerPins implements ServerPins {
  private readonly file: string;
  private readonly pins = new Map<string, { readonly server: Address; readonly key: string }>();
  private writing: Promise<void> | undefined;
  private again = false;

  constructor(dir: string) {
    this.file = path.join(dir, 'known_servers');
    let text = '';
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      const match = LINE.exec(line.trim());
      const server = match ? parseAddress(match[1]!) : undefined;
      if (match && server) this.pins.set(addressKey(server), { server, key: match[2]! });
    }
  }

  pinned(server: Address): string | undefined {
    return this.pins.get(addressKey(server))?.key;
  }

  pin(server: Address, key: string): void {
    this.pins.set(addressKey(server), { server, key });
    this.save();
  }

  /**
   * Resolves once every pin made so far is on disk (a write under way, and the one after it).
   * A client that ends waits for it: a key accepted with --accept-server-key and not yet
   * written would be refused again at the next start.
   */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /**
   * Written off the path of the handshake (an fsync there would delay the first registration):
   * one write at a time, the latest set last. A crash before it lands costs a pin made again at
   * the next first contact (or, for a key accepted with --accept-server-key, the flag given
   * again), never a message; a client that ends cleanly waits for it (settled).
   */
  private save(): void {
    if (this.writing) {
      this.again = true;
      return;
    }
    const text = [...this.pins.values()].map((p) => `${formatAddress(p.server)} ${p.key}\n`).join('');
    this.writing = writeFileDurably(this.file, text)
      .catch(() => undefined)
      .finally(() => {
        this.writing = undefined;
        if (this.again) {
          this.again = false;
          this.save();
        }
      });
  }
}
