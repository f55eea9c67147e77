import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { InMemoryMembers, InMemoryMembership } from '../../src/adapters/in-memory/in-memory-membership';
import { RedisMembership } from '../../src/adapters/redis/redis-membership';
import type { Membership, Takeover } from '../../src/application/ports/membership';
import { uniquePrefix, useRedisServer } from '../support/redis-server';

/** Leases in these tests; every wait below is a clear margin over or under it. */
const TTL_MS = 1_000;

/** One system's membership: `instance()` is another server instance's view of it. */
interface MembershipSystem {
  instance(): Promise<Membership>;
  /** Let `ms` pass on the clock the leases are measured on. */
  advance(ms: number): Promise<void>;
}

const A = { ip: '127.0.0.1', port: 5001 };
const B = { ip: '127.0.0.2', port: 5002 };
const C = { ip: '127.0.0.3', port: 5003 };

function membershipContract(adapter: string, newSystem: () => MembershipSystem): void {
  describe(`Membership contract: ${adapter}`, () => {
    it('members get distinct ids and are listed with their addresses, oldest first', async () => {
      const system = newSystem();
      const [a, b] = [await system.instance(), await system.instance()];
      const idA = await a.join(A);
      await system.advance(5);
      const idB = await b.join(B);
      expect(idA).to.not.equal(idB);
      expect(await b.peers()).to.deep.equal([{ id: idA, address: A }, { id: idB, address: B }]);
    });

    it('alone, an instance is its only peer and has nobody to take over', async () => {
      const system = newSystem();
      const a = await system.instance();
      const id = await a.join(A);
      for (let i = 0; i < 3; i++) {
        await system.advance(TTL_MS / 2);
        expect(await a.heartbeat()).to.equal(true);
      }
      expect(await a.reapDead()).to.deep.equal([]);
      expect(await a.peers()).to.deep.equal([{ id, address: A }]);
    });

    it('heartbeats keep an instance alive past its first lease', async () => {
      const system = newSystem();
      const [a, b] = [await system.instance(), await system.instance()];
      await a.join(A);
      await b.join(B);
      for (let i = 0; i < 3; i++) {
        await system.advance(TTL_MS / 2);
        expect(await a.heartbeat()).to.equal(true);
        expect(await b.heartbeat()).to.equal(true);
      }
      expect(await a.reapDead()).to.deep.equal([]);
      expect(await a.peers()).to.have.length(2);
    });

    it('a silent instance is taken over once its lease ran out: its clients become the survivor\'s, once', async () => {
      const system = newSystem();
      const [a, b] = [await system.instance(), await system.instance()];
      await a.join(A);
      const idB = await b.join(B);
      expect(await a.home('alice')).to.equal(true);
      expect(await b.home('bob')).to.equal(true);
      expect(await b.home('carol')).to.equal(true);
      await system.advance(TTL_MS / 2);
      await a.heartbeat();
      expect(await a.reapDead(), 'B is still within its lease').to.deep.equal([]);
      await system.advance(TTL_MS / 2 + 200);
      expect(await a.heartbeat()).to.equal(true);
      const [takeover] = await a.reapDead();
      expect(takeover?.instance).to.equal(idB);
      expect([...takeover!.names].sort()).to.deep.equal(['bob', 'carol']);
      expect(await a.reapDead()).to.deep.equal([]);
      expect((await a.peers()).map((p) => p.address)).to.deep.equal([A]);
    });

    it('two survivors reaping at the same instant: each dead instance is taken over by exactly one', async () => {
      const system = newSystem();
      const [a, b, c] = [await system.instance(), await system.instance(), await system.instance()];
      await a.join(A);
      await b.join(B);
      const idC = await c.join(C);
      await c.home('carol');
      await system.advance(TTL_MS / 2);
      await a.heartbeat();
      await b.heartbeat();
      await system.advance(TTL_MS / 2 + 200);
      await a.heartbeat();
      await b.heartbeat();
      const results: Takeover[][] = await Promise.all([a.reapDead(), b.reapDead()]);
      const takeovers = results.flat();
      expect(takeovers.map((t) => t.instance)).to.deep.equal([idC]);
      expect(takeovers[0]!.names).to.deep.equal(['carol']);
    });

    it('an instance whose lease ran out is fenced: no heartbeat, no home, no take-over; it joins again under a new id', async () => {
      const system = newSystem();
      const [a, b] = [await system.instance(), await system.instance()];
      await a.join(A);
      const idB = await b.join(B);
      await system.advance(TTL_MS / 2);
      await a.heartbeat();
      await system.advance(TTL_MS / 2 + 200);
      await a.heartbeat();
      expect(await b.heartbeat()).to.equal(false);
      expect(await b.home('bob')).to.equal(false);
      expect(await b.reapDead(), 'a fenced instance takes nothing over').to.deep.equal([]);
      expect((await a.reapDead()).map((t) => t.names)).to.deep.equal([[]]);
      const again = await b.join(B);
      expect(again).to.not.equal(idB);
      expect(await b.heartbeat()).to.equal(true);
      expect(await b.home('bob')).to.equal(true);
    });

    it('an instance that leaves is taken over at once, without waiting for its lease', async () => {
      const system = newSystem();
      const [a, b] = [await system.instance(), await system.instance()];
      await a.join(A);
      const idB = await b.join(B);
      await b.home('bob');
      await b.leave();
      const [takeover] = await a.reapDead();
      expect(takeover).to.deep.equal({ instance: idB, names: ['bob'] });
    });
  });
}

membershipContract('in-memory', () => {
  let now = 1_000;
  const clock = { monotonicMs: () => now };
  const shared = new InMemoryMembers();
  return {
    instance: async () => new InMemoryMembership(clock, shared, TTL_MS),
    advance: async (ms) => {
      now += ms;
    },
  };
});

describe('Membership contract on Redis', () => {
  const redis = useRedisServer();
  // Leases run on Redis's clock: the test waits for real.
  membershipContract('redis', () => {
    const prefix = uniquePrefix('members');
    return {
      instance: async () => new RedisMembership(await redis.connect(), prefix, { ttlMs: TTL_MS }),
      advance: (ms) => sleep(ms),
    };
  });
});
