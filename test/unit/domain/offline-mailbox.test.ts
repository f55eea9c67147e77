import { expect } from 'chai';
import { DEFAULT_MAILBOX_QUOTA, deliveryOrder, fitsQuota, type StoredMessage } from '../../../src/domain/offline-mailbox';

const msg = (id: string, storedAtMs: number): StoredMessage => ({ id, recipient: 'x', sender: 'y', kind: 'direct', storedAtMs, text: id });

describe('domain/offline-mailbox', () => {
  it('has a default quota of 1000 messages and 1 MiB', () => {
    expect(DEFAULT_MAILBOX_QUOTA).to.deep.equal({ maxMessages: 1000, maxBytes: 1024 * 1024 });
  });

  it('fitsQuota allows reaching the message limit exactly and not passing it', () => {
    const q = { maxMessages: 3, maxBytes: 100 };
    expect(fitsQuota(q, 0, 0, 10)).to.equal(true);
    expect(fitsQuota(q, 2, 0, 10)).to.equal(true);
    expect(fitsQuota(q, 3, 0, 10)).to.equal(false);
  });

  it('fitsQuota allows reaching the byte limit exactly and not passing it', () => {
    const q = { maxMessages: 10, maxBytes: 100 };
    expect(fitsQuota(q, 1, 90, 10)).to.equal(true);
    expect(fitsQuota(q, 1, 90, 11)).to.equal(false);
    expect(fitsQuota(q, 0, 0, 100)).to.equal(true);
    expect(fitsQuota(q, 0, 0, 101)).to.equal(false);
    expect(fitsQuota(q, 0, 100, 0)).to.equal(true);
  });

  it('deliveryOrder is oldest first and keeps insertion order among equal times', () => {
    const input = [msg('c', 30), msg('a1', 10), msg('b', 20), msg('a2', 10), msg('a3', 10), msg('d', 5)];
    expect(deliveryOrder(input).map((m) => m.id)).to.deep.equal(['d', 'a1', 'a2', 'a3', 'b', 'c']);
    // The input is not reordered in place.
    expect(input.map((m) => m.id)).to.deep.equal(['c', 'a1', 'b', 'a2', 'a3', 'd']);
    expect(deliveryOrder([])).to.deep.equal([]);
  });

  it('deliveryOrder keeps the order stored for many equal timestamps', () => {
    const input = Array.from({ length: 50 }, (_, i) => msg(`m${i}`, 7));
    expect(deliveryOrder(input).map((m) => m.id)).to.deep.equal(input.map((m) => m.id));
  });
});
