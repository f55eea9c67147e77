import { expect } from 'chai';
import { ReplyCache } from '../../../src/domain/reply-cache';

describe('domain/reply-cache', () => {
  it('goes from pending to done with the reply', () => {
    const c = new ReplyCache<string>(1000);
    expect(c.get('k', 0)).to.equal(undefined);
    c.begin('k', 0);
    expect(c.get('k', 1)).to.deep.equal({ state: 'pending' });
    c.complete('k', 'answer');
    expect(c.get('k', 2)).to.deep.equal({ state: 'done', reply: 'answer' });
    expect(c.size).to.equal(1);
  });

  it('complete on an unknown key does nothing', () => {
    const c = new ReplyCache<string>(1000);
    c.complete('nope', 'x');
    expect(c.get('nope', 0)).to.equal(undefined);
    expect(c.size).to.equal(0);
  });

  it('expires entries retentionMs after begin, whatever their state', () => {
    const c = new ReplyCache<string>(1000);
    c.begin('a', 0);
    c.complete('a', 'A');
    c.begin('b', 500);
    expect(c.get('a', 999)).to.deep.equal({ state: 'done', reply: 'A' });
    expect(c.get('a', 1000)).to.equal(undefined);
    expect(c.get('b', 1499)).to.deep.equal({ state: 'pending' });
    expect(c.get('b', 1500)).to.equal(undefined);
    expect(c.size).to.equal(0);
  });

  it('forget removes an entry so a later copy is handled afresh', () => {
    const c = new ReplyCache<string>(1000);
    c.begin('k', 0);
    c.forget('k');
    expect(c.get('k', 1)).to.equal(undefined);
    c.begin('k', 2);
    expect(c.get('k', 3)).to.deep.equal({ state: 'pending' });
  });

  it('is bounded: past maxEntries the oldest entry is evicted', () => {
    const c = new ReplyCache<number>(1_000_000, 2);
    c.begin('a', 0);
    c.complete('a', 1);
    c.begin('b', 0);
    c.begin('c', 0);
    expect(c.size).to.equal(2);
    expect(c.get('a', 0)).to.equal(undefined);
    expect(c.get('b', 0)).to.deep.equal({ state: 'pending' });
    expect(c.get('c', 0)).to.deep.equal({ state: 'pending' });
  });
});
