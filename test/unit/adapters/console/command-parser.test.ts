import { expect } from 'chai';
import sinon from 'sinon';
import { closestCommand, MAX_INPUT_LINE_CHARS, parseLine } from '../../../../src/adapters/console/command-parser';

describe('parseLine', () => {
  it('takes the rest of the line as the message of send, spaces kept', () => {
    expect(parseLine('send y hello   big  world ')).to.deep.equal({
      kind: 'command',
      command: { kind: 'send', to: 'y', text: 'hello   big  world ' },
    });
  });

  it('ignores leading blanks and a trailing line ending', () => {
    expect(parseLine('  send y hi\r\n')).to.deep.equal({ kind: 'command', command: { kind: 'send', to: 'y', text: 'hi' } });
  });

  it('takes the rest of the line as the message of send_all', () => {
    expect(parseLine('send_all hi  all')).to.deep.equal({ kind: 'command', command: { kind: 'send_all', text: 'hi  all' } });
  });

  it('parses dereg and reg with one name', () => {
    expect(parseLine('dereg x')).to.deep.equal({ kind: 'command', command: { kind: 'dereg', name: 'x' } });
    expect(parseLine('reg x ')).to.deep.equal({ kind: 'command', command: { kind: 'reg', name: 'x' } });
  });

  it('recognises the local commands, exit meaning quit', () => {
    expect(parseLine('help')).to.deep.equal({ kind: 'local', command: { kind: 'help' } });
    expect(parseLine('list')).to.deep.equal({ kind: 'local', command: { kind: 'list' } });
    expect(parseLine('whois Bob')).to.deep.equal({ kind: 'local', command: { kind: 'whois', name: 'Bob' } });
    expect(parseLine('whois')).to.deep.equal({ kind: 'error', text: 'missing arguments; use whois <name>' });
    expect(parseLine('quit')).to.deep.equal({ kind: 'local', command: { kind: 'quit' } });
    expect(parseLine('exit')).to.deep.equal({ kind: 'local', command: { kind: 'quit' } });
  });

  it('treats a blank line as empty', () => {
    expect(parseLine('   ')).to.deep.equal({ kind: 'empty' });
    expect(parseLine('')).to.deep.equal({ kind: 'empty' });
  });

  const missing: ReadonlyArray<[string, string]> = [
    ['send', 'send <name> <message>'],
    ['send y', 'send <name> <message>'],
    ['send y   ', 'send <name> <message>'],
    ['send_all', 'send_all <message>'],
    ['send_all  ', 'send_all <message>'],
    ['dereg', 'dereg <your name>'],
    ['reg', 'reg <your name>'],
    ['reg x y', 'reg <your name>'],
  ];
  for (const [line, usage] of missing) {
    it(`reports missing or extra arguments for ${JSON.stringify(line)} with the usage`, () => {
      expect(parseLine(line)).to.deep.equal({ kind: 'error', text: `missing arguments; use ${usage}` });
    });
  }

  it('suggests the closest command for an unknown one', () => {
    expect(parseLine('sned y hi')).to.deep.equal({
      kind: 'error',
      text: 'unknown command sned; did you mean send? (type help for the list)',
    });
  });

  it('keeps the leading spaces of a send_all message, as send does', () => {
    expect(parseLine('send_all   indented')).to.deep.equal({ kind: 'command', command: { kind: 'send_all', text: '  indented' } });
    expect(parseLine('send y   indented')).to.deep.equal({ kind: 'command', command: { kind: 'send', to: 'y', text: '  indented' } });
  });

  it('refuses send to Server (any case): that name is the channel\'s, not a client', () => {
    for (const name of ['Server', 'server', 'SERVER']) {
      const parsed = parseLine(`send ${name} hi`);
      expect(parsed.kind, name).to.equal('error');
      expect(parsed.kind === 'error' && parsed.text).to.include('use send_all');
    }
  });

  it('refuses a line longer than any command could be, at once and with a short error', () => {
    for (const line of ['x'.repeat(1_000_000), `send y ${'a'.repeat(4_000_000)}`]) {
      const parsed = parseLine(line);
      expect(parsed.kind).to.equal('error');
      expect(parsed.kind === 'error' && parsed.text).to.match(/^the line is \d+ characters long/);
      expect(parsed.kind === 'error' && parsed.text.length).to.be.below(200);
    }
    // The longest real command still parses: a message at the byte limit.
    expect(parseLine(`send y ${'a'.repeat(1000)}`).kind).to.equal('command');
    expect(MAX_INPUT_LINE_CHARS).to.be.below(2000);
  });

  it('cuts a long unknown word short in the error line', () => {
    const parsed = parseLine('q'.repeat(1000));
    expect(parsed.kind === 'error' && parsed.text).to.equal(`unknown command ${'q'.repeat(40)}… (1000 characters) (type help for the list)`);
  });

  it('suggests nothing when no command is close', () => {
    expect(parseLine('xyzzy')).to.deep.equal({ kind: 'error', text: 'unknown command xyzzy (type help for the list)' });
  });
});

describe('closestCommand', () => {
  it('finds near misses, ignoring case', () => {
    expect(closestCommand('sendall')).to.equal('send_all');
    expect(closestCommand('DEREG')).to.equal('dereg');
    expect(closestCommand('lst')).to.equal('list');
  });

  it('gives up on words far from every command', () => {
    expect(closestCommand('hello-world')).to.equal(undefined);
  });

  it('does no edit-distance work on a word too long to be close (linear in the line, not quadratic)', () => {
    // Array.from is what the distance table is built with: a long word must not reach it.
    const spy = sinon.spy(Array, 'from');
    try {
      expect(closestCommand('s'.repeat(100_000))).to.equal(undefined);
      expect(spy.callCount).to.equal(0);
    } finally {
      spy.restore();
    }
  });
});
