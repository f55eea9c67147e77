import { expect } from 'chai';
import { TableAssembler } from '../../../../src/application/client/table-assembler';
import { TABLE_ACK_RUN, type MessageOf } from '../../../../src/application/protocol/envelope';

const PARTS = 20;

function part(index: number, parts = PARTS, to = 5): MessageOf<'table'> {
  return { t: 'table', id: `u${to}p${index}`, token: 'tok', from: 0, to, part: index, parts, full: true, rows: [{ name: `n${index}`, ip: '127.0.0.1', port: 1000 + index, online: true }] };
}

describe('application/client/table-assembler: parts of a table update and which to ACK (protocol 9)', () => {
  it('in order: ACKs every TABLE_ACK_RUN parts and the last, and hands out the whole update once', () => {
    const a = new TableAssembler();
    const acks: string[] = [];
    let updates = 0;
    for (let i = 0; i < PARTS; i++) {
      const { ack, update } = a.add(part(i));
      if (ack) acks.push(ack);
      if (update) {
        updates += 1;
        expect(update.rows.map((r) => r.name)).to.deep.equal(Array.from({ length: PARTS }, (_, k) => `n${k}`));
      }
    }
    expect(TABLE_ACK_RUN).to.equal(8);
    expect(acks).to.deep.equal(['u5p7', 'u5p15', 'u5p19']);
    expect(updates).to.equal(1);
  });

  it('a missing part holds back every ACK after it: nothing past a gap is ever covered', () => {
    const a = new TableAssembler();
    const acks: string[] = [];
    for (let i = 0; i < PARTS; i++) if (i !== 3) acks.push(...[a.add(part(i)).ack].filter((x): x is string => x !== undefined));
    // Parts 0-2 are held in a row: not a run of eight yet, and nothing after part 3 counts.
    expect(acks).to.deep.equal([]);
    // The server, waiting, sends parts again: a copy is ACKed at once with the run held (0-2).
    expect(a.add(part(0), true).ack).to.equal('u5p2');
    // The missing part completes the run to the end: the last part is ACKed, the update handed out.
    const filled = a.add(part(3));
    expect(filled.ack).to.equal('u5p19');
    expect(filled.update?.rows).to.have.length(PARTS);
  });

  it('a copy arriving after the update was handed out is ACKed itself (its first ACK was lost); a copy before part 0 is not ACKed', () => {
    const a = new TableAssembler();
    for (let i = 0; i < PARTS; i++) a.add(part(i));
    expect(a.add(part(12), true)).to.deep.equal({ ack: 'u5p12', update: undefined });
    const b = new TableAssembler();
    b.add(part(5));
    expect(b.add(part(5), true).ack).to.equal(undefined);
  });

  it('out of order: the ACK comes when the run from part 0 crosses a multiple of TABLE_ACK_RUN, naming the run’s last part', () => {
    const a = new TableAssembler();
    const acks: string[] = [];
    for (const i of [19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]) {
      const { ack } = a.add(part(i));
      if (ack) acks.push(ack);
    }
    expect(acks).to.deep.equal(['u5p19']);
  });

  it('a one-part update is ACKed and handed out at once', () => {
    const a = new TableAssembler();
    const { ack, update } = a.add(part(0, 1, 9));
    expect(ack).to.equal('u9p0');
    expect(update?.rows).to.have.length(1);
  });
});
