import { expect } from 'chai';
import { SeededRandom } from '../../../../src/adapters/in-memory/seeded-random';
import { PowerLossFileSystem } from '../../../support/power-loss-file-system';

/** The simulator the power-loss property trusts: it must lose exactly what a disk may lose. */
describe('PowerLossFileSystem (test support)', () => {
  const text = (b: Buffer | undefined): string | undefined => b?.toString('utf8');

  async function disk(seed = 1): Promise<PowerLossFileSystem> {
    const fs = new PowerLossFileSystem(new SeededRandom(seed));
    await fs.mkdir('/d');
    await fs.syncDir('/');
    return fs;
  }

  it('keeps fsynced content and names; loses what was written after the last fsync', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const fs = await disk(seed);
      const h = await fs.open('/d/f', 'append');
      await fs.syncDir('/d');
      await h.append(Buffer.from('durable;'));
      await h.sync();
      await h.append(Buffer.from('volatile'));
      fs.crash('power');
      const after = text(await fs.restart().readFile('/d/f'))!;
      // A torn prefix of the unsynced bytes may survive, sometimes ending in zeros, never more.
      expect(after.startsWith('durable;'), after).to.equal(true);
      expect(after.length).to.be.at.most('durable;volatile'.length);
      const extra = after.slice('durable;'.length).replace(/\0+$/, '');
      expect('volatile'.startsWith(extra), JSON.stringify(after)).to.equal(true);
    }
  });

  it('sometimes keeps a torn prefix of an unsynced write, and sometimes nothing of it', async () => {
    const lengths = new Set<number>();
    for (let seed = 1; seed <= 60; seed++) {
      const fs = await disk(seed);
      const h = await fs.open('/d/f', 'append');
      await fs.syncDir('/d');
      await h.append(Buffer.from('0123456789'));
      fs.crash('power');
      lengths.add((await fs.restart().readFile('/d/f'))!.length);
    }
    expect(lengths.has(0)).to.equal(true);
    expect([...lengths].some((n) => n > 0 && n < 10)).to.equal(true);
  });

  it('loses a created file whose directory was not fsynced (unless the journal committed it), even if its content was', async () => {
    let lost = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const fs = await disk(seed);
      const h = await fs.open('/d/new', 'append');
      await h.append(Buffer.from('x'));
      await h.sync();
      await fs.syncDir('/'); // the wrong directory
      fs.crash('power');
      const after = await fs.restart().readFile('/d/new');
      if (after === undefined) lost++;
      else expect(text(after)).to.equal('x');
    }
    expect(lost).to.be.greaterThan(0);
  });

  it('keeps the old file under a name whose rename was not made durable', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const fs = await disk(seed);
      const old = await fs.open('/d/f', 'truncate');
      await old.append(Buffer.from('old'));
      await old.sync();
      await fs.syncDir('/d');
      const temp = await fs.open('/d/f.tmp', 'truncate');
      await temp.append(Buffer.from('new'));
      await temp.sync();
      await fs.rename('/d/f.tmp', '/d/f');
      fs.crash('power');
      expect(['old', 'new']).to.include(text(await fs.restart().readFile('/d/f')));
    }
  });

  it('keeps everything, synced or not, when only the process dies', async () => {
    const fs = await disk();
    const h = await fs.open('/d/f', 'append');
    await h.append(Buffer.from('page cache'));
    fs.crash('process');
    expect(text(await fs.restart().readFile('/d/f'))).to.equal('page cache');
  });

  it('crashes at the chosen operation and refuses every later one', async () => {
    const fs = new PowerLossFileSystem(new SeededRandom(3), { crashAtOp: 2 });
    await fs.mkdir('/d');
    let failed = 0;
    await fs.syncDir('/').catch(() => failed++);
    await fs.readdir('/').catch(() => failed++);
    expect(failed).to.equal(2);
    expect(fs.crashed).to.equal(true);
    expect(fs.opCount).to.equal(2);
  });
});
