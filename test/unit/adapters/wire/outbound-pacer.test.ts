import { expect } from 'chai';
import sinon from 'sinon';
import { OutboundPacer } from '../../../../src/adapters/wire/outbound-pacer';

describe('OutboundPacer', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  const bob = { ip: '127.0.0.1', port: 6002 };
  const carol = { ip: '127.0.0.1', port: 6003 };
  const policy = { ratePerSecond: 100, burst: 5 };

  it('sends at once within the burst and returns what the send returned', () => {
    const pacer = new OutboundPacer(policy);
    const sent: number[] = [];
    for (let i = 0; i < 5; i++) expect(pacer.send(bob, () => (sent.push(i), `r${i}`))).to.equal(`r${i}`);
    expect(sent).to.deep.equal([0, 1, 2, 3, 4]);
    expect(pacer.waiting).to.equal(0);
  });

  it('past the burst holds datagrams in order and lets them out at the rate', () => {
    const pacer = new OutboundPacer(policy);
    const sent: number[] = [];
    for (let i = 0; i < 15; i++) pacer.send(bob, () => sent.push(i));
    expect(sent).to.have.length(5);
    expect(pacer.waiting).to.equal(10);
    clock.tick(10); // one token at 100/s
    expect(sent).to.have.length(6);
    clock.tick(45);
    expect(sent).to.have.length(10);
    clock.tick(50);
    expect(sent).to.deep.equal(Array.from({ length: 15 }, (_, i) => i));
    expect(pacer.waiting).to.equal(0);
    expect(clock.countTimers()).to.equal(0);
  });

  it('a datagram never overtakes one waiting for the same address, even once a token is back', () => {
    const pacer = new OutboundPacer(policy);
    const sent: string[] = [];
    for (let i = 0; i < 7; i++) pacer.send(bob, () => sent.push(`a${i}`));
    clock.tick(5); // half a token: a7 must still queue behind a5 and a6
    pacer.send(bob, () => sent.push('a7'));
    clock.tick(100);
    expect(sent.slice(5)).to.deep.equal(['a5', 'a6', 'a7']);
  });

  it('one address over its budget does not hold up another', () => {
    const pacer = new OutboundPacer(policy);
    for (let i = 0; i < 20; i++) pacer.send(bob, () => undefined);
    let toCarol = false;
    pacer.send(carol, () => (toCarol = true));
    expect(toCarol).to.equal(true);
  });

  it('close drops what waits and leaves no timer', () => {
    const pacer = new OutboundPacer(policy);
    const sent: number[] = [];
    for (let i = 0; i < 8; i++) pacer.send(bob, () => sent.push(i));
    pacer.close();
    clock.tick(1000);
    expect(sent).to.have.length(5);
    expect(clock.countTimers()).to.equal(0);
  });

  it('forgets addresses that went quiet long enough to be full again, so a busy server keeps few', () => {
    const pacer = new OutboundPacer(policy);
    for (let i = 0; i < 5000; i++) {
      pacer.send({ ip: '127.0.0.1', port: 10_000 + i }, () => undefined);
      clock.tick(1);
    }
    // At 100/s a bucket is full again 10 ms after its one datagram: only the last few are kept.
    expect(pacer.destinations).to.be.at.most(1024);
  });
});
