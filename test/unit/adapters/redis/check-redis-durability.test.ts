import { expect } from 'chai';
import { checkRedisDurability } from '../../../../src/adapters/redis/check-redis-durability';
import { useRedisServer } from '../../../support/redis-server';

describe('checkRedisDurability', () => {
  describe('on a Redis with appendonly yes and appendfsync always', () => {
    const redis = useRedisServer();

    it('reports it durable', async () => {
      expect(await checkRedisDurability(redis.client())).to.deep.equal({
        durable: true,
        settings: { appendonly: 'yes', appendfsync: 'always', maxmemoryPolicy: 'noeviction' },
        problems: [],
      });
    });

    it('reports an allkeys eviction policy as a way to lose stored messages', async () => {
      const client = redis.client();
      await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
      try {
        const result = await checkRedisDurability(client);
        expect(result.durable).to.equal(false);
        expect(result.problems).to.have.length(1);
        expect(result.problems[0]).to.match(/^maxmemory-policy is allkeys-lru; it must be noeviction/);
      } finally {
        await client.config('SET', 'maxmemory-policy', 'noeviction');
      }
    });
  });

  describe('on a Redis without the append-only file', () => {
    const redis = useRedisServer({ appendonly: 'no', appendfsync: 'everysec' });

    it('reports it volatile, naming both settings', async () => {
      const result = await checkRedisDurability(redis.client());
      expect(result.durable).to.equal(false);
      expect(result.settings).to.deep.equal({ appendonly: 'no', appendfsync: 'everysec', maxmemoryPolicy: 'noeviction' });
      expect(result.problems).to.have.length(2);
      expect(result.problems[0]).to.match(/^appendonly is no; it must be yes/);
      expect(result.problems[1]).to.match(/^appendfsync is everysec; it must be always/);
    });
  });

  describe('on a Redis with the append-only file fsynced every second', () => {
    const redis = useRedisServer({ appendonly: 'yes', appendfsync: 'everysec' });

    it('reports it volatile: it acknowledges writes before they are on disk', async () => {
      const result = await checkRedisDurability(redis.client());
      expect(result.durable).to.equal(false);
      expect(result.problems).to.deep.equal(['appendfsync is everysec; it must be always (otherwise Redis acknowledges writes before they are on disk)']);
    });
  });
});
