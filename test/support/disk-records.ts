import { crc32 } from 'node:zlib';

/** The good records of one store file, read independently of the store's own loader. */
export interface DiskRecords {
  /** Every complete line whose checksum matches and whose body is JSON, in file order. */
  readonly records: unknown[];
  /** Lines (or a last unterminated piece) that are not good records: torn or damaged. */
  readonly badLines: number;
}

const LINE = /^([0-9a-f]{8}) (.*)$/s;

/**
 * Parse a checksummed store file (`<crc32 hex> <json>\n` per record) as a checker must: no
 * record is merged, deduplicated, ordered or dropped for being a repeat, so what the file holds
 * is what the checker counts. Written apart from `checksummed-lines.ts` on purpose: the checker
 * must not share the code it checks.
 */
export function readDiskRecords(data: Buffer): DiskRecords {
  const records: unknown[] = [];
  let badLines = 0;
  let start = 0;
  while (start < data.length) {
    const end = data.indexOf(0x0a, start);
    if (end < 0) {
      badLines++;
      break;
    }
    const line = data.subarray(start, end);
    start = end + 1;
    const match = LINE.exec(line.toString('latin1'));
    const body = match ? line.subarray(9) : undefined;
    if (!match || !body || crc32(body) !== parseInt(match[1]!, 16)) {
      badLines++;
      continue;
    }
    try {
      records.push(JSON.parse(body.toString('utf8')));
    } catch {
      badLines++;
    }
  }
  return { records, badLines };
}

/** How many times each key occurs. */
export function countBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}
