import { expect } from 'chai';
import { InMemoryRegistryStore } from '../../../../src/adapters/in-memory/in-memory-registry-store';
import { RegistrySync, VERSION_RESERVE_BLOCK } from '../../../../src/application/server/registry-sync';
import { ServerState } from '../../../../src/application/server/server-state';
import { defaultSettings } from '../../../../src/composition/config';

/** An in-memory registry that counts its reservation writes. */
class CountingRegistry extends InMemoryRegistryStore {
  readonly reservations: number[] = [];

  override async reserveVersion(version: number): Promise<void> {
    this.reservations.push(version);
    await super.reserveVersion(version);
  }
}

describe('application/server/registry-sync: version reservations', () => {
  it('reserves a block at a time: one write covers the next changes, and the block past it takes one more', async () => {
    const store = new CountingRegistry();
    await store.open();
    const sync = new RegistrySync(new ServerState(defaultSettings()), store);
    for (let v = 1; v <= VERSION_RESERVE_BLOCK; v++) await sync.reserve(v);
    expect(store.reservations).to.deep.equal([VERSION_RESERVE_BLOCK]);
    await sync.reserve(VERSION_RESERVE_BLOCK + 1);
    expect(store.reservations).to.deep.equal([VERSION_RESERVE_BLOCK, 2 * VERSION_RESERVE_BLOCK]);
    expect(await store.highestVersion()).to.equal(2 * VERSION_RESERVE_BLOCK);
  });

  it('lets concurrent reservations share one write when it covers them', async () => {
    const store = new CountingRegistry();
    await store.open();
    const sync = new RegistrySync(new ServerState(defaultSettings()), store);
    await Promise.all([1, 2, 3, 5, 8].map((v) => sync.reserve(v)));
    expect(store.reservations).to.deep.equal([VERSION_RESERVE_BLOCK]);
    await Promise.all([VERSION_RESERVE_BLOCK + 1, 3 * VERSION_RESERVE_BLOCK].map((v) => sync.reserve(v)));
    expect(await store.highestVersion()).to.be.at.least(3 * VERSION_RESERVE_BLOCK);
  });

  it('rejects when the reservation could not be written, and tries again on the next call', async () => {
    const store = new CountingRegistry();
    await store.open();
    const sync = new RegistrySync(new ServerState(defaultSettings()), store);
    const original = store.reserveVersion.bind(store);
    store.reserveVersion = () => Promise.reject(new Error('disk full'));
    let error: unknown;
    await sync.reserve(1).catch((e: unknown) => { error = e; });
    expect(String(error)).to.contain('disk full');
    store.reserveVersion = original;
    await sync.reserve(1);
    expect(await store.highestVersion()).to.equal(VERSION_RESERVE_BLOCK);
  });
});
