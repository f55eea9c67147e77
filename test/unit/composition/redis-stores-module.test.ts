import { expect } from 'chai';
import { redactRedisUrl } from '../../../src/composition/redis-options';

describe('redactRedisUrl', () => {
  it('hides a password (and a bare token) but keeps the user, host, port and database', () => {
    expect(redactRedisUrl('redis://alice:s3cret@10.0.0.1:6390/2')).to.equal('redis://alice:***@10.0.0.1:6390/2');
    expect(redactRedisUrl('rediss://token@host:6380')).to.equal('rediss://***@host:6380');
    expect(redactRedisUrl('redis://127.0.0.1:6390')).to.equal('redis://127.0.0.1:6390');
  });
});
