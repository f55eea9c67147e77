import { expect } from 'chai';
import sinon from 'sinon';
import type { RegistryRecord } from '../../../../src/application/ports/registry-store';
import { A, B, C, ServerRig } from '../use-cases/server/server-rig';

/** A table change reaches clients only once it is durable (and every earlier one is). */
describe('application/server: table changes are pushed only once durable', () => {
  let rig: ServerRig;
  beforeEach(() => {
    rig = new ServerRig();
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  function rowsTo(to: typeof A, since: number): string[] {
    return rig.tablesTo(to, since).flatMap((t) => t.rows.map((r) => `${r.name}:${r.online ? 'on' : 'off'}`));
  }

  it("a later change that is durable waits for an earlier one still being written; nobody sees either before", async () => {
    await rig.online('alice', A);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const save = rig.registryStore.save.bind(rig.registryStore);
    sinon.stub(rig.registryStore, 'save').callsFake(async (record: RegistryRecord) => {
      if (record.name === 'bob') await held;
      return save(record);
    });
    const mark = rig.mark();
    const bob = rig.online('bob', B);
    await rig.clock.tickAsync(20);
    await rig.online('carol', C);
    await rig.clock.tickAsync(1000);
    expect(rowsTo(A, mark), 'alice was shown a change not yet on disk').to.deep.equal([]);
    const version = rig.state.published.version;
    release();
    await bob;
    await rig.clock.tickAsync(20);
    expect(rowsTo(A, mark).sort()).to.deep.equal(['bob:on', 'carol:on']);
    expect(rig.state.published.version).to.equal(version + 2);
    const saved = await rig.registryStore.load();
    expect(Math.max(...saved.map((r) => r.version)), 'every version pushed is on disk').to.be.at.least(rig.tablesTo(A).at(-1)!.to);
  });

  it('a registry write that fails once is made again: the change lands, is pushed, and later writes work', async () => {
    await rig.online('alice', A);
    const save = rig.registryStore.save.bind(rig.registryStore);
    let failures = 1;
    sinon.stub(rig.registryStore, 'save').callsFake(async (record: RegistryRecord) => {
      if (failures-- > 0) throw new Error('EIO: i/o error, fsync');
      return save(record);
    });
    const mark = rig.mark();
    const bob = rig.online('bob', B);
    await rig.clock.tickAsync(200);
    await bob;
    expect((await rig.registryStore.load()).find((r) => r.name === 'bob')?.online).to.equal(true);
    expect(rowsTo(A, mark)).to.deep.equal(['bob:on']);
    await rig.online('carol', C);
    expect((await rig.registryStore.load()).find((r) => r.name === 'carol')?.online).to.equal(true);
    expect(rig.logger.entries.filter((e) => e.level === 'error').map((e) => e.message)).to.deep.equal(['could not write the registry; trying again']);
  });
});
