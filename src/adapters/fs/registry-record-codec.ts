import type { RegistryRecord } from '../../application/ports/registry-store';

/** The on-disk body of one registry record: exactly the record's fields. */
export function toRegistryBody(record: RegistryRecord): RegistryRecord {
  const { name, ip, port, online, proof, token, version } = record;
  return { name, ip, port, online, proof, token, version };
}

/** A record read back from the registry log, or undefined if it is not well formed. */
export function parseRegistryBody(body: unknown): RegistryRecord | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const r = body as Record<string, unknown>;
  const strings = [r.name, r.ip, r.proof, r.token].every((v) => typeof v === 'string');
  if (!strings || typeof r.online !== 'boolean') return undefined;
  if (!Number.isInteger(r.port) || !Number.isFinite(r.version)) return undefined;
  if ((r.name as string).length === 0) return undefined;
  return toRegistryBody(r as unknown as RegistryRecord);
}
