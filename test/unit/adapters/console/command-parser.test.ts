import { expect } from 'chai';
import { closestCommand, parseLine } from '../../../../src/adapters/console/command-parser';

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
});
