import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RotatingLogFile } from '../../../../src/adapters/logging/rotating-log-file';
import { WinstonLogger } from '../../../../src/adapters/logging/winston-logger';

/** Every line of `file` and its rotated files, oldest file first: what a reader of the logs sees. */
function linesOnDisk(file: string, kept: number): string[] {
  const names = [...Array.from({ length: kept }, (_, i) => `${file}.${kept - i}`), file];
  return names.flatMap((name) => (fs.existsSync(name) ? fs.readFileSync(name, 'utf8').split('\n').filter((l) => l !== '') : []));
}

function endOf(stream: RotatingLogFile): Promise<void> {
  return new Promise((resolve) => stream.end(() => resolve()));
}

describe('adapters/logging: RotatingLogFile (size-bounded log files)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-log-'));
    file = path.join(dir, 'server-5000.log');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every line of the newest files in order, never more than the limit per file, and the oldest beyond kept gone', async () => {
    const log = new RotatingLogFile(file, { maxBytes: 1_000, kept: 3 });
    const written: string[] = [];
    for (let i = 0; i < 500; i++) {
      const line = `line ${i} ${'x'.repeat(i % 37)}`;
      written.push(line);
      log.write(`${line}\n`);
    }
    await endOf(log);
    const names = fs.readdirSync(dir).sort();
    expect(names).to.deep.equal(['server-5000.log', 'server-5000.log.1', 'server-5000.log.2', 'server-5000.log.3']);
    for (const name of names) expect(fs.statSync(path.join(dir, name)).size).to.be.at.most(1_000);
    const seen = linesOnDisk(file, 3);
    // What is kept is an unbroken tail of what was written: no line lost, split or reordered.
    expect(seen.length).to.be.greaterThan(50);
    expect(seen).to.deep.equal(written.slice(written.length - seen.length));
  });

  it('a restarted process appends to the current file and rotates at the same size, so the files stay bounded', async () => {
    const first = new RotatingLogFile(file, { maxBytes: 600, kept: 2 });
    for (let i = 0; i < 20; i++) first.write(`first ${i}\n`);
    await endOf(first);
    const sizeBefore = fs.statSync(file).size;
    const second = new RotatingLogFile(file, { maxBytes: 600, kept: 2 });
    second.write('second 0\n');
    await endOf(second);
    expect(fs.statSync(file).size).to.equal(sizeBefore + 'second 0\n'.length);
    const third = new RotatingLogFile(file, { maxBytes: 600, kept: 2 });
    for (let i = 0; i < 300; i++) third.write(`third ${i}\n`);
    await endOf(third);
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['server-5000.log', 'server-5000.log.1', 'server-5000.log.2']);
    expect(linesOnDisk(file, 2).at(-1)).to.equal('third 299');
  });

  it('a file that cannot be written drops lines and says so once; the process goes on', async () => {
    const failures: string[] = [];
    fs.mkdirSync(file); // a folder where the file should be: open fails
    const log = new RotatingLogFile(file, { maxBytes: 100, onFailure: (e) => failures.push(e.message) });
    for (let i = 0; i < 50; i++) log.write(`line ${i}\n`);
    await endOf(log);
    expect(failures).to.have.length(1);
    expect(failures[0]).to.match(/EISDIR/);
  });

  it('through winston: lines reach the file, close() waits for the last one, rotation applies', async () => {
    const logger = new WinstonLogger({ file, level: 'info', format: 'text', label: 'server:5000', maxBytes: 2_000, kept: 1 });
    for (let i = 0; i < 100; i++) logger.info('request', { n: i });
    logger.debug('not at info');
    await logger.close();
    const lines = linesOnDisk(file, 1);
    expect(lines.at(-1)).to.match(/server:5000 info: request \{"n":99\}$/);
    expect(lines.some((l) => l.includes('not at info'))).to.equal(false);
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['server-5000.log', 'server-5000.log.1']);
    // An unbroken tail of the 100 lines.
    const numbers = lines.map((l) => Number(/"n":(\d+)/.exec(l)![1]));
    expect(numbers).to.deep.equal(numbers.map((_, i) => 100 - numbers.length + i));
  });
});
