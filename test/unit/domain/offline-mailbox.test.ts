import { expect } from 'chai';
import { DEFAULT_MAILBOX_QUOTA, deliveryOrder, fitsQuota, type MailboxMessage } from '../../../src/domain/offline-mailbox';

const msg = (id: string, seq: number, storedAtMs = 1_700_000_000_000): MailboxMessage => ({ id, recipient: 'x', sender: 'y', kind: 'direct', storedAtMs, text: id, seq });

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

  it('deliveryOrder is the order stored (seq), even when the clock was stepped back in between', () => {
    const input = [msg('third', 3, 1000), msg('first', 1, 5000), msg('second', 2, 2000)];
    expect(deliveryOrder(input).map((m) => m.id)).to.deep.equal(['first', 'second', 'third']);
  });

  it('deliveryOrder is oldest first and keeps insertion order among equal places', () => {
    const input = [msg('c', 30), msg('a1', 10), msg('b', 20), msg('a2', 10), msg('a3', 10), msg('d', 5)];
    expect(deliveryOrder(input).map((m) => m.id)).to.deep.equal(['d', 'a1', 'a2', 'a3', 'b', 'c']);
    // The input is not reordered in place.
    expect(input.map((m) => m.id)).to.deep.equal(['c', 'a1', 'b', 'a2', 'a3', 'd']);
    expect(deliveryOrder([])).to.deep.equal([]);
  });

  it('deliveryOrder keeps the order listed for many equal places', () => {
    const input = Array.from({ length: 50 }, (_, i) => msg(`m${i}`, 7));
    expect(deliveryOrder(input).map((m) => m.id)).to.deep.equal(input.map((m) => m.id));
  });
});
