import { expect } from 'chai';
import { paint } from '../../../../src/adapters/console/colors';
import { completeLine } from '../../../../src/adapters/console/console-ui';

const strip = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('paint', () => {
  it('never changes the text, only wraps it in colour', () => {
    for (const style of ['status', 'error', 'message', 'channel', 'plain'] as const) {
      expect(strip(paint('>>> x: hi: there', style))).to.equal('>>> x: hi: there');
    }
  });

  it('colours errors red and resets after the line', () => {
    expect(paint('>>> [Error: no.]', 'error')).to.equal('\x1b[1;31m>>> [Error: no.]\x1b[0m');
  });

  it('colours only the sender of a direct message', () => {
    expect(paint('>>> x: a: b', 'message')).to.equal('>>> \x1b[1;36mx\x1b[0m: a: b');
  });

  it('leaves plain lines alone', () => {
    expect(paint('    NAME  ADDRESS', 'plain')).to.equal('    NAME  ADDRESS');
  });
});

describe('completeLine', () => {
  const sources = { commands: ['send', 'send_all', 'dereg', 'reg', 'list', 'help', 'quit'], names: ['Alice', 'alan', 'bob'] };

  it('completes the first word against the commands', () => {
    expect(completeLine('se', sources)).to.deep.equal([['send', 'send_all'], 'se']);
    expect(completeLine('l', sources)).to.deep.equal([['list '], 'l']);
    expect(completeLine('', sources)[0]).to.have.length(7);
  });

  it('completes the second word of send, dereg and reg against names, case-insensitively', () => {
    expect(completeLine('send a', sources)).to.deep.equal([['Alice', 'alan'], 'a']);
    expect(completeLine('dereg B', sources)).to.deep.equal([['bob '], 'B']);
    expect(completeLine('reg ALI', sources)).to.deep.equal([['Alice '], 'ALI']);
  });

  it('offers nothing inside a message', () => {
    expect(completeLine('send_all b', sources)[0]).to.deep.equal([]);
    expect(completeLine('send bob b', sources)[0]).to.deep.equal([]);
  });
});
