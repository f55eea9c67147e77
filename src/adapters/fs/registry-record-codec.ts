import type { RegistryRecord } from '../../application/ports/registry-store';

/**
 * One line of the registry log: a name's record, or a version mark (the highest table version
 * saved or reserved when it was written, kept even when compaction drops or rewrites rows).
 */
export type RegistryLine =
  | { readonly kind: 'record'; readonly record: RegistryRecord }
  | { readonly kind: 'version'; readonly version: number };

/** The on-disk body of one registry record: exactly the record's fields. */
export function toRegistryBody(record: RegistryRecord): RegistryRecord {
  const { name, ip, port, online, proof, token, version, key } = record;
  return key === undefined ? { name, ip, port, online, proof, token, version } : { name, ip, port, online, proof, token, version, key };
}

/** The on-disk body of a version mark (records have no `t` field, so the two never mix up). */
export function toVersionBody(version: number): { t: 'version'; version: number } {
  return { t: 'version', version };
}

/** A record read back from the registry log, or undefined if it is not well formed. */
export function parseRegistryBody(body: unknown): RegistryRecord | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const r = body as Record<string, unknown>;
  if ('t' in r) return undefined;
  const strings = [r.name, r.ip, r.proof, r.token].every((v) => typeof v === 'string');
  if (!strings || typeof r.online !== 'boolean') return undefined;
  if (!Number.isInteger(r.port) || !Number.isFinite(r.version)) return undefined;
  if ((r.name as string).length === 0) return undefined;
  if (r.key !== undefined && (typeof r.key !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(r.key))) return undefined;
  return toRegistryBody(r as unknown as RegistryRecord);
}

/** Any line of the registry log read back, or undefined if it is not well formed. */
export function parseRegistryLine(body: unknown): RegistryLine | undefined {
  if (typeof body === 'object' && body !== null && (body as Record<string, unknown>).t === 'version') {
    const version = (body as Record<string, unknown>).version;
    return Number.isSafeInteger(version) && (version as number) >= 0 ? { kind: 'version', version: version as number } : undefined;
  }
  const record = parseRegistryBody(body);
  return record ? { kind: 'record', record } : undefined;
}
