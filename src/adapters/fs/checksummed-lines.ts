import type * as zlib from 'node:zlib';

/**
 * node:zlib takes about a millisecond to load: it is loaded at the first checksum, so a client
 * whose logs are empty (a new name) does not pay for it before its welcome line.
 */
let zlibCrc32: typeof zlib.crc32 | undefined;
function crc32(data: string | Buffer): number {
  zlibCrc32 ??= (require('node:zlib') as typeof zlib).crc32;
  return zlibCrc32(data);
}

const NEWLINE = 0x0a;
const CRC_HEX_LENGTH = 8;
const CRC_PATTERN = /^[0-9a-f]{8}$/;

/**
 * What a checksummed log file held. `goodLength` ends the last good record; anything after it
 * is a torn tail (a record whose write was cut by a crash, never acknowledged). A bad record
 * *before* a good one (`corruptBeforeGood`) is not a torn write but damage, and is skipped.
 */
export interface DecodedLines<T> {
  readonly records: T[];
  readonly goodLength: number;
  readonly tornTail: boolean;
  readonly corruptBeforeGood: boolean;
}

/**
 * One record as one self-delimiting line: `<crc32 hex> <json>\n`. JSON escapes newlines and
 * lone surrogates, so the body never contains the delimiter and round-trips any string.
 */
export function encodeLine(body: unknown): Buffer {
  const json = JSON.stringify(body);
  // crc32 of a string is that of its UTF-8 bytes, the bytes written: one buffer per line.
  const crc = crc32(json).toString(16).padStart(CRC_HEX_LENGTH, '0');
  return Buffer.from(`${crc} ${json}\n`, 'utf8');
}

function decodeLine<T>(line: Buffer, parse: (body: unknown) => T | undefined): T | undefined {
  if (line.length <= CRC_HEX_LENGTH + 1 || line[CRC_HEX_LENGTH] !== 0x20) return undefined;
  const crcText = line.subarray(0, CRC_HEX_LENGTH).toString('ascii');
  if (!CRC_PATTERN.test(crcText)) return undefined;
  const json = line.subarray(CRC_HEX_LENGTH + 1);
  if (crc32(json) !== parseInt(crcText, 16)) return undefined;
  try {
    return parse(JSON.parse(json.toString('utf8')));
  } catch {
    return undefined;
  }
}

/**
 * Read every record of a log. A line counts only if it is complete (ends in a newline), its
 * checksum matches and `parse` accepts it, so a torn or zero-filled tail is never misread.
 */
export function decodeLines<T>(data: Buffer, parse: (body: unknown) => T | undefined): DecodedLines<T> {
  const records: T[] = [];
  let goodLength = 0;
  let sawBad = false;
  let corruptBeforeGood = false;
  let start = 0;
  while (start < data.length) {
    const end = data.indexOf(NEWLINE, start);
    if (end < 0) {
      sawBad = true;
      break;
    }
    const record = decodeLine(data.subarray(start, end), parse);
    if (record === undefined) {
      sawBad = true;
    } else {
      records.push(record);
      goodLength = end + 1;
      if (sawBad) corruptBeforeGood = true;
    }
    start = end + 1;
  }
  return { records, goodLength, tornTail: goodLength < data.length, corruptBeforeGood };
}
