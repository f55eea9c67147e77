import { expect } from 'chai';
import { AckMerger, handOn } from '../../../../src/adapters/wire/ack-runs';
import { RecordingLogger } from '../../../support/recording-logger';
import type { Inbound } from '../../../../src/application/ports/transport';
import { MAX_MORE_ACKS, type Message } from '../../../../src/application/protocol/envelope';

const bob = { ip: '127.0.0.1', port: 6002 };
const carol = { ip: '127.0.0.1', port: 6003 };
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ACK runs (AckMerger, handOn)', () => {
  it('sends the plain ACKs of one turn to one peer as one ack carrying the others in more, in order', async () => {
    const sent: Array<[string, Message]> = [];
    const merger = new AckMerger((to, ack) => sent.push([`${to.port}`, ack]));
    expect(merger.offer(bob, { t: 'ack', re: 'a1', proof: 'p1' })).to.equal(true);
    expect(merger.offer(bob, { t: 'ack', re: 'a2' })).to.equal(true);
    expect(merger.offer(carol, { t: 'ack', re: 'c1', proof: 'q1' })).to.equal(true);
    expect(merger.offer(bob, { t: 'ack', re: 'a3', proof: 'p3' })).to.equal(true);
    expect(sent, 'nothing before the end of the turn').to.deep.equal([]);
    await nextTurn();
    expect(sent).to.deep.equal([
      ['6002', { t: 'ack', re: 'a1', proof: 'p1', more: ['a2', '', 'a3', 'p3'] }],
      ['6003', { t: 'ack', re: 'c1', proof: 'q1' }],
    ]);
  });

  it('takes only plain ACKs: one with a status, a version or rows, and every other message, goes as it is', () => {
    const merger = new AckMerger(() => undefined);
    expect(merger.offer(bob, { t: 'ack', re: 'a1', status: 'ok' })).to.equal(false);
    expect(merger.offer(bob, { t: 'ack', re: 'a1', version: 3 })).to.equal(false);
    expect(merger.offer(bob, { t: 'ack', re: 'a1', rows: [] })).to.equal(false);
    expect(merger.offer(bob, { t: 'probe', id: 'p', token: 't' })).to.equal(false);
    merger.clear();
  });

  it(`past 1 + MAX_MORE_ACKS (${1 + MAX_MORE_ACKS}) ACKs to one peer in a turn, starts another datagram`, async () => {
    const sent: Message[] = [];
    const merger = new AckMerger((_, ack) => sent.push(ack));
    for (let i = 0; i < 2 * (1 + MAX_MORE_ACKS) + 1; i++) merger.offer(bob, { t: 'ack', re: `a${i}` });
    await nextTurn();
    expect(sent.map((m) => (m.t === 'ack' ? 1 + (m.more?.length ?? 0) / 2 : 0))).to.deep.equal([1 + MAX_MORE_ACKS, 1 + MAX_MORE_ACKS, 1]);
  });

  it('clear drops what waits', async () => {
    const sent: Message[] = [];
    const merger = new AckMerger((_, ack) => sent.push(ack));
    merger.offer(bob, { t: 'ack', re: 'a1' });
    merger.clear();
    await nextTurn();
    expect(sent).to.deep.equal([]);
  });

  it('hands on a received run as the ACKs it stands for, from the same peer; anything else as it came', () => {
    const got: Inbound[] = [];
    const run: Inbound = { message: { t: 'ack', re: 'a1', proof: 'p1', more: ['a2', '', 'a3', 'p3'] }, from: bob, bytes: 90 };
    handOn(run, (one) => got.push(one), new RecordingLogger());
    expect(got.map((g) => g.message)).to.deep.equal([
      { t: 'ack', re: 'a1', proof: 'p1' },
      { t: 'ack', re: 'a2' },
      { t: 'ack', re: 'a3', proof: 'p3' },
    ]);
    expect(got.every((g) => g.from === bob)).to.equal(true);
    const alone: Inbound = { message: { t: 'ack', re: 'a1' }, from: bob, bytes: 20 };
    const same: Inbound[] = [];
    handOn(alone, (one) => same.push(one), new RecordingLogger());
    expect(same).to.deep.equal([alone]);
    expect(same[0]).to.equal(alone);
  });

  it('a handler that throws on one ACK of a run is logged, and the others are still handed on', () => {
    const logger = new RecordingLogger();
    const got: string[] = [];
    handOn({ message: { t: 'ack', re: 'a1', more: ['a2', '', 'a3', ''] }, from: bob, bytes: 40 }, (one) => {
      const re = (one.message as { re: string }).re;
      if (re === 'a2') throw new Error('boom');
      got.push(re);
    }, logger);
    expect(got).to.deep.equal(['a1', 'a3']);
    expect(logger.entries.filter((e) => e.level === 'error')).to.have.length(1);
  });

  it('sends ACKs to a peer the link seals for one by one: only clients, outside the link, send runs', () => {
    const link = { overheadFor: (to: { port: number }) => (to.port === bob.port ? 29 : 0) } as unknown as ConstructorParameters<typeof AckMerger>[1];
    const merger = new AckMerger(() => undefined, link);
    expect(merger.offer(bob, { t: 'ack', re: 'a1' })).to.equal(false);
    expect(merger.offer(carol, { t: 'ack', re: 'c1' })).to.equal(true);
    merger.clear();
  });
});
