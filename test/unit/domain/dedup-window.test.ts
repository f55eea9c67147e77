import { expect } from 'chai';
import { DedupWindow } from '../../../src/domain/dedup-window';

describe('domain/dedup-window', () => {
  it('says first-seen once per key and remembers it', () => {
    const w = new DedupWindow(1000);
    expect(w.firstSeen('a', 0)).to.equal(true);
    expect(w.firstSeen('a', 1)).to.equal(false);
    expect(w.firstSeen('a', 999)).to.equal(false);
    expect(w.firstSeen('b', 5)).to.equal(true);
    expect(w.has('a', 10)).to.equal(true);
    expect(w.has('c', 10)).to.equal(false);
    expect(w.size).to.equal(2);
  });

  it('keeps an id for exactly the retention: present 1 ms before, gone at it', () => {
    const w = new DedupWindow(5000);
    w.firstSeen('k', 1000);
    expect(w.has('k', 5999)).to.equal(true);
    expect(w.has('k', 6000)).to.equal(false);
    expect(w.firstSeen('k', 6000)).to.equal(true);
  });

  it('a repeat copy does not extend the retention', () => {
    const w = new DedupWindow(100);
    w.firstSeen('k', 0);
    expect(w.firstSeen('k', 90)).to.equal(false);
    expect(w.has('k', 100)).to.equal(false);
  });

  it('expires older ids while keeping younger ones', () => {
    const w = new DedupWindow(100);
    w.firstSeen('a', 0);
    w.firstSeen('b', 50);
    w.firstSeen('c', 80);
    expect(w.has('a', 120)).to.equal(false);
    expect(w.size).to.equal(2);
    expect(w.has('b', 120)).to.equal(true);
    expect(w.has('c', 170)).to.equal(true);
    expect(w.has('b', 170)).to.equal(false);
  });

  it('is bounded: past maxEntries the oldest id is evicted first', () => {
    const w = new DedupWindow(1_000_000, 3);
    for (const k of ['a', 'b', 'c']) expect(w.firstSeen(k, 0)).to.equal(true);
    expect(w.size).to.equal(3);
    expect(w.firstSeen('d', 1)).to.equal(true);
    expect(w.size).to.equal(3);
    expect(w.has('a', 1)).to.equal(false);
    expect(w.has('b', 1)).to.equal(true);
    expect(w.has('d', 1)).to.equal(true);
    for (let i = 0; i < 100; i++) w.firstSeen(`k${i}`, 2);
    expect(w.size).to.equal(3);
    expect(w.has('k99', 2)).to.equal(true);
    expect(w.has('k96', 2)).to.equal(false);
  });

  it('seed records keys as seen from then on, keeps existing ones, and stays bounded', () => {
    const w = new DedupWindow(100, 3);
    w.firstSeen('old', 0);
    w.seed(['a', 'old', 'b'], 10);
    expect(w.firstSeen('a', 11)).to.equal(false);
    expect(w.firstSeen('b', 11)).to.equal(false);
    expect(w.has('old', 100), 'an existing key keeps its own expiry').to.equal(false);
    expect(w.has('a', 109)).to.equal(true);
    expect(w.has('a', 110), 'a seeded key is kept for the retention from seeding').to.equal(false);
    w.seed(['c', 'd', 'e', 'f'], 200);
    expect(w.size).to.equal(3);
    expect(w.has('c', 200)).to.equal(false);
    expect(w.has('f', 200)).to.equal(true);
    expect(w.firstSeen('z', 200)).to.equal(true);
  });
});
