import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisRegistryStore } from '../../../../src/adapters/redis/redis-registry-store';
import type { RegistryRecord } from '../../../../src/application/ports/registry-store';
import { uniquePrefix, useRedisServer } from '../../../support/redis-server';

function row(name: string, version: number): RegistryRecord {
  return { name, ip: '127.0.0.1', port: 5000, online: true, proof: `proof-${name}`, token: `token-${name}`, version };
}

async function rejection(call: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await call;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('RedisRegistryStore: one writer per prefix, by a fenced lease', () => {
  const redis = useRedisServer();
  let stores: RedisRegistryStore[];

  beforeEach(() => {
    stores = [];
  });

  afterEach(async () => {
    for (const store of stores) await store.close();
  });

  function store(prefix: string, leaseMs: number, client = redis.client()): RedisRegistryStore {
    const s = new RedisRegistryStore(client, prefix, { leaseMs });
    stores.push(s);
    return s;
  }

  it('refuses a second store on the prefix with ELOCKED, naming the prefix, and lets one on another prefix open', async () => {
    const prefix = uniquePrefix('lease');
    await store(prefix, 10_000).open();
    const error = await rejection(store(prefix, 10_000).open());
    expect(error.code).to.equal('ELOCKED');
    expect(error.message).to.equal(`another ChatApp server holds the registry under prefix ${JSON.stringify(prefix)} on this Redis (its lease ends within 10 s unless it is renewed)`);
    await store(uniquePrefix('lease'), 10_000).open();
  });

  it('keeps the lease while the holder renews it, past several lease lengths', async () => {
    const prefix = uniquePrefix('lease');
    await store(prefix, 600).open();
    await sleep(2_000);
    expect((await rejection(store(prefix, 600).open())).code).to.equal('ELOCKED');
  });

  it('lets a successor open once a silent holder’s lease ran out, and refuses the old holder’s later writes (FENCED)', async () => {
    const prefix = uniquePrefix('lease');
    // The old holder's own connection goes away: it can neither renew nor write, as if its host stalled.
    const lost = await redis.connect();
    const old = store(prefix, 300, lost);
    await old.open();
    await old.save(row('alice', 1));
    lost.disconnect();
    await sleep(600);
    const successor = store(prefix, 10_000);
    await successor.open();
    await successor.save(row('alice', 2));
    await lost.connect();
    const error = await rejection(old.save(row('alice', 9)));
    expect(error.message).to.match(/^FENCED/);
    expect((await rejection(old.reserveVersion(100))).message).to.match(/^FENCED/);
    // Closing the old holder gives back nothing it no longer holds.
    await old.close();
    expect((await rejection(store(prefix, 10_000).open())).code).to.equal('ELOCKED');
    expect(await successor.load()).to.deep.equal([row('alice', 2)]);
    expect(await successor.highestVersion()).to.equal(2);
  });

  it('takes back a lease that lapsed while nobody took it (Redis unreachable longer than the lease), by its next write or renewal', async () => {
    const prefix = uniquePrefix('lease');
    const cut = await redis.connect();
    const holder = store(prefix, 300, cut);
    await holder.open();
    await holder.save(row('alice', 1));
    cut.disconnect();
    await sleep(600);
    expect(await redis.client().exists(`${prefix}registry:lease`), 'the lease lapsed').to.equal(0);
    await cut.connect();
    await holder.save(row('bob', 2));
    await holder.reserveVersion(64);
    expect((await rejection(store(prefix, 10_000).open())).code, 'the holder has it again').to.equal('ELOCKED');
    // Its renewal timer takes a lapsed lease back too, with no write needed.
    cut.disconnect();
    await sleep(600);
    await cut.connect();
    await sleep(300);
    expect(await redis.client().exists(`${prefix}registry:lease`)).to.equal(1);
    expect((await holder.load()).map((r) => r.name).sort()).to.deep.equal(['alice', 'bob']);
  });

  it('tells its owner once when it is fenced for good: another store took the lease, or Redis lost the lease and its last taker', async () => {
    const taken: string[] = [];
    const prefix = uniquePrefix('lease');
    const cut = await redis.connect();
    const old = new RedisRegistryStore(cut, prefix, { leaseMs: 300, onFenced: (why) => taken.push(why) });
    stores.push(old);
    await old.open();
    cut.disconnect();
    await sleep(600);
    await store(prefix, 10_000).open();
    await cut.connect();
    await sleep(500);
    expect(taken).to.deep.equal(['taken']);

    const lost: string[] = [];
    const other = uniquePrefix('lease');
    const holder = new RedisRegistryStore(redis.client(), other, { leaseMs: 300, onFenced: (why) => lost.push(why) });
    stores.push(holder);
    await holder.open();
    await sleep(200);
    expect(lost, 'renewals alone do not fence').to.deep.equal([]);
    // What a Redis restarted without its data has: neither the lease nor who took it.
    await redis.client().del(`${other}registry:lease`, `${other}registry:lease-taker`);
    await sleep(500);
    expect(lost).to.deep.equal(['data-lost']);
    expect((await rejection(holder.save(row('alice', 1)))).message).to.match(/^FENCED/);
  });
});
