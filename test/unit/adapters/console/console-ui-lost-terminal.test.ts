import { expect } from 'chai';
import { PassThrough, Writable } from 'node:stream';
import { ConsoleUi } from '../../../../src/adapters/console/console-ui';
import { FakeTerminal, settle } from './fake-terminal';

/** A terminal that went away (window closed, hang-up): reads fail and restoring its mode throws EIO. */
describe('adapters/console: the terminal goes away', () => {
  let term: FakeTerminal;
  let ui: ConsoleUi;
  let closes: string[];

  beforeEach(() => {
    term = new FakeTerminal(80);
    // readline puts a terminal in raw mode and restores it on close; a dead one refuses.
    Object.assign(term.input, {
      isTTY: true,
      setRawMode(mode: boolean) {
        if (!mode) throw Object.assign(new Error('setRawMode EIO'), { code: 'EIO' });
        return this;
      },
    });
    ui = new ConsoleUi({ input: term.input, output: term.output, terminal: true, color: false, completions: () => ({ commands: ['send'], names: [] }) });
    closes = [];
    ui.onLine(() => undefined);
    ui.onClose((reason) => closes.push(reason));
    ui.start();
  });

  afterEach(() => {
    term.destroy();
  });

  it('a read that fails with EIO is the end of input, quietly, not an uncaught error', async () => {
    term.input.emit('error', Object.assign(new Error('read EIO'), { code: 'EIO' }));
    await settle();
    expect(closes).to.deep.equal(['eof']);
  });

  it('closing the console does not throw when restoring the terminal fails', () => {
    expect(() => ui.close()).to.not.throw();
  });
});

/** A pipe whose reader went away (`chatapp -c … | head -1`): writes fail with EPIPE. */
describe('adapters/console: the output pipe goes away', () => {
  it('a line printed before the console reads (the welcome) fails with EPIPE quietly, not as an uncaught error', async () => {
    const output = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const ui = new ConsoleUi({ input: new PassThrough(), output, terminal: false, color: false, completions: () => ({ commands: [], names: [] }) });
    const uncaught: unknown[] = [];
    const listener = (error: unknown): void => void uncaught.push(error);
    // mocha's own handler is set aside, so an error the console does not handle is seen here, not as a failure elsewhere.
    const mochas = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', listener);
    try {
      ui.print('>>> [Welcome, You are registered.]');
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.removeListener('uncaughtException', listener);
      for (const m of mochas) process.on('uncaughtException', m);
      ui.close();
    }
    expect(uncaught).to.deep.equal([]);
  });
});
