import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { ConsoleUi, PROMPT, type ConsoleUiOptions } from '../../../../src/adapters/console/console-ui';
import { FakeTerminal, settle } from './fake-terminal';

const UPDATED = '>>> [Client table updated.]';

describe('ConsoleUi in terminal mode', () => {
  let savedTerm: string | undefined;
  let term: FakeTerminal;
  let ui: ConsoleUi;
  let lines: string[];
  let closes: string[];

  // readline degrades to a prompt-less "dumb" mode when TERM=dumb; these tests are about a real terminal.
  before(() => {
    savedTerm = process.env['TERM'];
    process.env['TERM'] = 'xterm-256color';
  });
  after(() => {
    if (savedTerm === undefined) delete process.env['TERM'];
    else process.env['TERM'] = savedTerm;
  });

  function open(options: Partial<ConsoleUiOptions> & { columns?: number } = {}): void {
    term = new FakeTerminal(options.columns ?? 80);
    ui = new ConsoleUi({
      input: term.input,
      output: term.output,
      terminal: true,
      color: false,
      completions: () => ({ commands: ['send', 'send_all', 'dereg', 'reg', 'list', 'help', 'quit'], names: ['Alice', 'bob', 'y'] }),
      ...options,
    });
    lines = [];
    closes = [];
    ui.onLine((l) => lines.push(l));
    ui.onClose((reason) => closes.push(reason));
    ui.start();
  }

  afterEach(() => {
    ui.close();
    term.destroy();
  });

  it('shows the prompt when started', async () => {
    open();
    await settle();
    expect(term.rows()).to.deep.equal(['>>>']);
    expect(term.cursor()).to.deep.equal({ row: 0, col: PROMPT.length });
  });

  it('prints an incoming line above the half-typed input and redraws the prompt and input below it', async () => {
    open();
    await term.type('send y hel');
    const before = term.raw.length;
    ui.print(UPDATED, 'status');
    await settle();

    const written = term.raw.slice(before);
    expect(written.indexOf(UPDATED)).to.be.lessThan(written.lastIndexOf('>>> send y hel'));
    expect(term.rows()).to.deep.equal([UPDATED, '>>> send y hel']);
    expect(term.cursor()).to.deep.equal({ row: 1, col: '>>> send y hel'.length });

    await term.type('lo\r');
    expect(lines).to.deep.equal(['send y hello']);
  });

  it('keeps the cursor where the user left it inside the input', async () => {
    open();
    await term.type('send y hel');
    await term.type('\x1b[D\x1b[D');
    ui.print(UPDATED);
    await settle();
    expect(term.cursor()).to.deep.equal({ row: 1, col: '>>> send y h'.length });
    await term.type('X\r');
    expect(lines).to.deep.equal(['send y hXel']);
  });

  for (const how of ['type', 'paste'] as const) {
    it(`redraws ${how}d input that wraps over several rows without leaving pieces of it behind`, async () => {
      open({ columns: 20 });
      const typed = `send y ${'a'.repeat(30)}`;
      await term[how](typed);
      ui.print('>>> [Exiting]', 'error');
      ui.print('>>> bob: hi', 'message');
      await settle();

      const block = `${PROMPT}${typed}`;
      const wrapped = [block.slice(0, 20), block.slice(20, 40), block.slice(40)];
      expect(term.rows()).to.deep.equal(['>>> [Exiting]', '>>> bob: hi', ...wrapped]);
      expect(term.cursor()).to.deep.equal({ row: 4, col: block.length - 40 });
      await term.type('b\r');
      expect(lines).to.deep.equal([`${typed}b`]);
    });
  }

  it('shows the prompt again after each entered line, below what the command printed', async () => {
    open();
    ui.onLine((l) => ui.print(`>>> [Error: unknown command ${l}.]`, 'error'));
    await term.type('frob\r');
    expect(term.rows()).to.deep.equal(['>>> frob', '>>> [Error: unknown command frob.]', '>>>']);
  });

  it('writes no colour codes when colour is off, and colours styled lines when it is on', async () => {
    open();
    ui.print('>>> [Error: no.]', 'error');
    await settle();
    expect(term.raw).not.to.match(/\x1b\[[0-9;]*m/);
    ui.close();
    term.destroy();

    open({ color: true });
    ui.print('>>> [Error: no.]', 'error');
    await settle();
    expect(term.raw).to.include('\x1b[1;31m>>> [Error: no.]\x1b[0m');
    expect(term.rows()[0]).to.equal('>>> [Error: no.]');
  });

  describe('Tab completion', () => {
    it('completes a command prefix to the common part and lists the candidates on a second Tab', async () => {
      open();
      await term.type('sen\t');
      expect(term.rows()).to.deep.equal(['>>> send']);
      await term.type('\t');
      const rows = term.rows();
      expect(rows[1]).to.match(/^send +send_all$/);
      expect(rows.at(-1)).to.equal('>>> send');
      await term.type('_all hi\r');
      expect(lines).to.deep.equal(['send_all hi']);
    });

    it('completes a unique command and adds a space', async () => {
      open();
      await term.type('der\tbob\r');
      expect(lines).to.deep.equal(['dereg bob']);
    });

    it('completes a name after send from the completion source, case-insensitively', async () => {
      open();
      await term.type('send al\t');
      expect(term.rows()).to.deep.equal(['>>> send Alice']);
      await term.type('hi there\r');
      expect(lines).to.deep.equal(['send Alice hi there']);
    });

    it('asks the source again on every Tab, so new names are offered', async () => {
      let names = ['bob'];
      open({ completions: () => ({ commands: ['reg'], names }) });
      names = ['bob', 'carol'];
      await term.type('reg c\t\r');
      expect(lines).to.deep.equal(['reg carol ']);
    });

    it('inserts a pasted Tab literally instead of completing', async () => {
      open();
      await term.paste('sen\tx\r');
      expect(lines).to.deep.equal(['sen\tx']);
    });
  });

  describe('end of the session', () => {
    it('reports Ctrl-C as an interrupt and stops reading', async () => {
      open();
      await term.type('send y half');
      await term.type('\x03');
      expect(closes).to.deep.equal(['interrupt']);
      await term.type('more\r');
      expect(lines).to.deep.equal([]);
    });

    it('reports Ctrl-D on an empty line as end of input', async () => {
      open();
      await term.type('\x04');
      expect(closes).to.deep.equal(['eof']);
    });

    it('reports the input stream ending as end of input', async () => {
      open();
      term.input.end();
      await settle();
      expect(closes).to.deep.equal(['eof']);
    });

    it('does not call the close handler when the caller closes it', async () => {
      open();
      ui.close();
      await settle();
      expect(closes).to.deep.equal([]);
    });

    it('still prints lines that arrive after it closed, without a prompt', async () => {
      open();
      ui.close();
      ui.print('>>> [Exiting]');
      await settle();
      expect(term.rows()).to.deep.equal(['>>> [Exiting]']);
    });
  });
});

describe('ConsoleUi in piped mode', () => {
  let input: PassThrough;
  let output: PassThrough;
  let written: string;
  let ui: ConsoleUi;

  beforeEach(() => {
    input = new PassThrough();
    output = new PassThrough();
    written = '';
    output.setEncoding('utf8');
    output.on('data', (d: string) => (written += d));
    // Colour is asked for on purpose: piped output must ignore it.
    ui = new ConsoleUi({ input, output, terminal: false, color: true, completions: () => ({ commands: ['send'], names: [] }) });
  });

  afterEach(() => {
    ui.close();
    input.destroy();
    output.destroy();
  });

  it('writes exactly the given lines, each with a newline, and nothing else', async () => {
    ui.start();
    ui.print('>>> [Welcome, You are registered.]', 'status');
    ui.print('>>> [Error: no.]', 'error');
    ui.print('>>> x: hi', 'message');
    await settle();
    expect(written).to.equal('>>> [Welcome, You are registered.]\n>>> [Error: no.]\n>>> x: hi\n');
  });

  it('emits each input line, then eof at the end, and still prints after it', async () => {
    const lines: string[] = [];
    const closes: string[] = [];
    ui.onLine((l) => lines.push(l));
    ui.onClose((r) => {
      closes.push(r);
      ui.print('>>> [Message received by y.]');
    });
    ui.start();
    input.write('send y hello  world\nlis');
    input.end('t\r\n');
    await settle();
    expect(lines).to.deep.equal(['send y hello  world', 'list']);
    expect(closes).to.deep.equal(['eof']);
    expect(written).to.equal('>>> [Message received by y.]\n');
  });

  it('writes the first line of a turn of the event loop at once and the rest of the turn in one write, in order; written() resolves once they are out', async () => {
    const writes: string[] = [];
    const chunks: string[] = [];
    const write = output.write.bind(output);
    output.write = ((chunk: string) => {
      chunks.push(chunk);
      return write(chunk);
    }) as typeof output.write;
    output.on('data', (d: string) => writes.push(d));
    ui.start();
    ui.print('>>> [Message received by y.]');
    await ui.written();
    ui.print('>>> y: hi');
    ui.print('>>> y: there');
    let out = false;
    const done = ui.written().then(() => {
      out = true;
      expect(chunks.join(''), 'out when written() resolves').to.equal('>>> [Message received by y.]\n>>> y: hi\n>>> y: there\n');
    });
    expect(chunks, 'only the first line within the turn').to.deep.equal(['>>> [Message received by y.]\n']);
    expect(out).to.equal(false);
    await done;
    await settle();
    expect(chunks).to.deep.equal(['>>> [Message received by y.]\n', '>>> y: hi\n>>> y: there\n']);
    expect(written).to.equal('>>> [Message received by y.]\n>>> y: hi\n>>> y: there\n');
    // A later turn starts afresh: its first line goes out at once.
    await settle();
    ui.print('>>> [Client table updated.]');
    expect(chunks.at(-1)).to.equal('>>> [Client table updated.]\n');
  });

  it('writes what it gathered when closed, before anything written after', async () => {
    ui.start();
    ui.print('>>> [Server not responding]');
    ui.print('>>> [Exiting]');
    ui.close();
    output.write('after\n');
    await settle();
    expect(written).to.equal('>>> [Server not responding]\n>>> [Exiting]\nafter\n');
  });

  it('emits no more lines once the caller closed it', async () => {
    const lines: string[] = [];
    ui.onLine((l) => {
      lines.push(l);
      ui.close();
    });
    ui.start();
    input.write('quit\nsend y hi\n');
    await settle();
    expect(lines).to.deep.equal(['quit']);
  });
});

describe('ConsoleUi held between two phases of one session (the interactive start)', () => {
  it('piped: lines and the end of input that arrive while held are handed over in order on start', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const ui = new ConsoleUi({ input, output, terminal: false, color: false, completions: () => ({ commands: [], names: [] }) });
    const events: string[] = [];
    ui.onLine((l) => {
      events.push(`first:${l}`);
      if (l.startsWith('ChatApp')) ui.hold();
    });
    ui.start();
    input.end('ChatApp -c x 127.0.0.1 5000 6000\nsend y one\nsend y two\n');
    await settle();
    expect(events).to.deep.equal(['first:ChatApp -c x 127.0.0.1 5000 6000']);
    ui.onLine((l) => events.push(`client:${l}`));
    ui.onClose((reason) => events.push(`close:${reason}`));
    ui.start();
    expect(events.slice(1)).to.deep.equal(['client:send y one', 'client:send y two', 'close:eof']);
    ui.close();
  });

  it('terminal: one readline; the prompt and history change with configure', async () => {
    const saved = process.env['TERM'];
    process.env['TERM'] = 'xterm-256color';
    const term = new FakeTerminal(80);
    const ui = new ConsoleUi({ input: term.input, output: term.output, terminal: true, color: false, prompt: '$ ', completions: () => ({ commands: [], names: [] }) });
    try {
      const lines: string[] = [];
      ui.onLine((l) => {
        lines.push(l);
        ui.hold();
      });
      ui.start();
      await term.type('ChatApp -c x 127.0.0.1 5000 6000\r');
      ui.configure({ prompt: PROMPT, completions: () => ({ commands: ['send'], names: [] }) });
      ui.onLine((l) => lines.push(l));
      ui.start();
      await settle();
      await term.type('se\t');
      // Typed once (no second echo), completed by Tab, under the client's prompt.
      expect(term.rows().at(-1)).to.equal('>>> send');
      expect(term.rows()[0]).to.equal('$ ChatApp -c x 127.0.0.1 5000 6000');
      expect(lines).to.deep.equal(['ChatApp -c x 127.0.0.1 5000 6000']);
    } finally {
      ui.close();
      term.destroy();
      if (saved === undefined) delete process.env['TERM'];
      else process.env['TERM'] = saved;
    }
  });
});
