import { expect } from 'chai';
import { TableAssembler, type TablePartAck } from '../../../../src/application/client/table-assembler';
import { TABLE_ACK_RUN, type MessageOf } from '../../../../src/application/protocol/envelope';

const PARTS = 20;

function part(index: number, parts = PARTS, to = 5): MessageOf<'table'> {
  return { t: 'table', id: `u${to}_${index.toString(36)}`, token: 'tok', from: 0, to, part: index, parts, full: true, rows: [{ name: `n${index}`, ip: '127.0.0.1', port: 1000 + index, online: true }] };
}

/** ACKs as short strings: `run:<id>` for a run ACK, `<id>` for one part's. */
const shown = (acks: readonly TablePartAck[]): string[] => acks.map((a) => (a.run ? `run:${a.id}` : a.id));

describe('application/client/table-assembler: parts of a table update and their ACKs (protocol 9)', () => {
  it('in order: one run ACK every TABLE_ACK_RUN parts and at the last, and the whole update once', () => {
    const a = new TableAssembler();
    const acks: string[] = [];
    let updates = 0;
    for (let i = 0; i < PARTS; i++) {
      const out = a.add(part(i));
      acks.push(...shown(out.acks));
      if (out.update) {
        updates += 1;
        expect(out.update.rows.map((r) => r.name)).to.deep.equal(Array.from({ length: PARTS }, (_, k) => `n${k}`));
      }
    }
    expect(TABLE_ACK_RUN).to.equal(8);
    expect(acks).to.deep.equal(['run:u5_7', 'run:u5_f', 'run:u5_j']);
    expect(updates).to.equal(1);
  });

  it('a lost part: the run before the gap and each part past it are ACKed at once, so only the lost part is missing at the server; nothing past the gap is ever covered by a run', () => {
    const a = new TableAssembler();
    const acks: string[] = [];
    for (let i = 0; i < PARTS; i++) if (i !== 3) acks.push(...shown(a.add(part(i)).acks));
    // Parts 0-2 in a row, then part 4 past the gap: the run 0-2 and part 4; then each part alone.
    expect(acks).to.deep.equal(['run:u5_2', 'u5_4', ...Array.from({ length: PARTS - 5 }, (_, k) => `u5_${(k + 5).toString(36)}`)]);
    // A copy of a part before the gap: the run is ACKed again (its ACK may have been lost).
    expect(shown(a.add(part(0), true).acks)).to.deep.equal(['run:u5_2']);
    // A copy of a part past the gap: the run and that part.
    expect(shown(a.add(part(9), true).acks)).to.deep.equal(['run:u5_2', 'u5_9']);
    // The missing part completes the run to the end: one run ACK for all, and the update.
    const filled = a.add(part(3));
    expect(shown(filled.acks)).to.deep.equal(['run:u5_j']);
    expect(filled.update?.rows).to.have.length(PARTS);
  });

  it('part 0 lost: every part is ACKed alone until it comes, then one run ACK covers all', () => {
    const a = new TableAssembler();
    const acks: string[] = [];
    for (let i = 1; i < 4; i++) acks.push(...shown(a.add(part(i, 4)).acks));
    expect(acks).to.deep.equal(['u5_1', 'u5_2', 'u5_3']);
    expect(shown(a.add(part(0, 4)).acks)).to.deep.equal(['run:u5_3']);
  });

  it('a copy arriving after the update was handed out is ACKed on its own (its ACK was lost)', () => {
    const a = new TableAssembler();
    for (let i = 0; i < PARTS; i++) a.add(part(i));
    expect(shown(a.add(part(12), true).acks)).to.deep.equal(['u5_c']);
  });

  it('the same update in another push (made again, or by the instance that took over) is assembled and ACKed by its own ids, never the first push’s', () => {
    const a = new TableAssembler();
    for (let i = 0; i < 5; i++) a.add(part(i));
    const again = (index: number): MessageOf<'table'> => ({ ...part(index), id: `v5_${index.toString(36)}` });
    const acks: string[] = [];
    let update;
    for (let i = 0; i < PARTS; i++) {
      const out = a.add(again(i));
      acks.push(...shown(out.acks));
      update ??= out.update;
    }
    expect(acks).to.deep.equal(['run:v5_7', 'run:v5_f', 'run:v5_j']);
    expect(update?.rows).to.have.length(PARTS);
    // A third push whose part 3 comes while the first push's parts 0-4 are still held: ACKed by
    // its own id (a run named by the first push's ids would complete nothing at its server).
    const b = new TableAssembler();
    for (let i = 0; i < 10; i++) b.add(part(i));
    const third = { ...part(3), id: 'w5_3' };
    expect(shown(b.add(third).acks)).to.deep.equal(['w5_3']);
    expect(shown(b.add(third, true).acks)).to.deep.equal(['w5_3']);
  });

  it('a one-part update gets a plain ACK and is handed out at once', () => {
    const a = new TableAssembler();
    const { acks, update } = a.add(part(0, 1, 9));
    expect(shown(acks)).to.deep.equal(['u9_0']);
    expect(update?.rows).to.have.length(1);
  });
});
