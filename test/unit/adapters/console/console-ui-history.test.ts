import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleUi, HISTORY_MAX_ENTRIES } from '../../../../src/adapters/console/console-ui';
import { FakeTerminal } from './fake-terminal';

const UP = '\x1b[A';

describe('ConsoleUi history', () => {
  let savedTerm: string | undefined;
  let dir: string;
  const opened: Array<{ ui: ConsoleUi; term: FakeTerminal }> = [];

  before(() => {
    savedTerm = process.env['TERM'];
    process.env['TERM'] = 'xterm-256color';
  });
  after(() => {
    if (savedTerm === undefined) delete process.env['TERM'];
    else process.env['TERM'] = savedTerm;
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chatapp-history-'));
  });

  afterEach(() => {
    for (const { ui, term } of opened.splice(0)) {
      ui.close();
      term.destroy();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  function open(historyFile: string | undefined): { ui: ConsoleUi; term: FakeTerminal; lines: string[] } {
    const term = new FakeTerminal(80);
    const ui = new ConsoleUi({
      input: term.input,
      output: term.output,
      terminal: true,
      color: false,
      ...(historyFile === undefined ? {} : { historyFile }),
      completions: () => ({ commands: [], names: [] }),
    });
    const lines: string[] = [];
    ui.onLine((l) => lines.push(l));
    ui.start();
    opened.push({ ui, term });
    return { ui, term, lines };
  }

  it('saves entered lines, oldest first, creating the folder, readable only by the user', async () => {
    const file = join(dir, 'x', 'history');
    const { term } = open(file);
    await term.type('send y one\r');
    await term.type('   \r');
    await term.type('send y two\r');
    expect(readFileSync(file, 'utf8')).to.equal('send y one\nsend y two\n');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
  });

  it('recalls the lines of an earlier session with the up arrow', async () => {
    const file = join(dir, 'history');
    const first = open(file);
    await first.term.type('send y one\r');
    await first.term.type('send y two\r');
    first.ui.close();

    const second = open(file);
    await second.term.type(`${UP}\r`);
    await second.term.type(`${UP}${UP}\r`);
    expect(second.lines).to.deep.equal(['send y two', 'send y one']);
  });

  it(`keeps only the newest ${HISTORY_MAX_ENTRIES} lines`, async () => {
    const file = join(dir, 'history');
    const old = Array.from({ length: HISTORY_MAX_ENTRIES + 500 }, (_, i) => `send y ${i}`);
    writeFileSync(file, `${old.join('\n')}\n`);
    const { term, lines } = open(file);
    await term.type(`${UP}\r`);
    expect(lines).to.deep.equal([`send y ${old.length - 1}`]);

    await term.type('list\r');
    const saved = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(saved).to.have.length(HISTORY_MAX_ENTRIES);
    expect(saved.at(-1)).to.equal('list');
  });

  it('keeps working when the history file cannot be read or written', async () => {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, '');
    const { term, lines } = open(join(blocker, 'history'));
    await term.type('send y hi\r');
    await term.type(`${UP}\r`);
    expect(lines).to.deep.equal(['send y hi', 'send y hi']);
  });

  it('keeps history for the session when no file is given', async () => {
    const { term, lines } = open(undefined);
    await term.type('send y hi\r');
    await term.type(`${UP}\r`);
    expect(lines).to.deep.equal(['send y hi', 'send y hi']);
  });
});
