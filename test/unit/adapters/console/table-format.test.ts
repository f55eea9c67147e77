import { expect } from 'chai';
import { formatTable, formatWhois } from '../../../../src/adapters/console/table-format';
import { helpLines } from '../../../../src/adapters/console/help-text';
import { COMMANDS } from '../../../../src/adapters/console/command-parser';

describe('formatTable', () => {
  it('says so for an empty table, in one line', () => {
    expect(formatTable([])).to.deep.equal(['>>> [Client table is empty.]']);
  });

  it('aligns name, address and status columns under a heading, sorted by name', () => {
    const lines = formatTable([
      { name: 'zed', ip: '10.0.0.12', port: 6001, online: false },
      { name: 'x', ip: '127.0.0.1', port: 5001, online: true },
      { name: 'Longer_name', ip: '::1', port: 65535, online: true },
    ]);
    expect(lines).to.deep.equal([
      '>>> [Client table: 3 clients, 2 online]',
      '    NAME         ADDRESS         STATUS',
      '    Longer_name  [::1]:65535     online',
      '    x            127.0.0.1:5001  online',
      '    zed          10.0.0.12:6001  offline',
    ]);
  });

  it('uses the singular for one client', () => {
    expect(formatTable([{ name: 'x', ip: '127.0.0.1', port: 5001, online: false }])[0]).to.equal(
      '>>> [Client table: 1 client, 0 online]',
    );
  });

  it('makes names terminal-safe, keeping every row on one line', () => {
    const lines = formatTable([{ name: 'evil\x1b[2J\nname', ip: '127.0.0.1', port: 5001, online: true }]);
    expect(lines).to.have.length(3);
    expect(lines.join('')).not.to.match(/[\u0000-\u001f]/);
    expect(lines[2]).to.contain('evil\\x1b[2J\\nname');
  });
});

describe('helpLines', () => {
  const lines = helpLines();

  it('starts with a heading and has one line per command', () => {
    expect(lines[0]).to.equal('>>> [Commands]');
    expect(lines).to.have.length(COMMANDS.length + 1);
  });

  it('covers every command with its usage and help, help texts aligned', () => {
    const body = lines.slice(1);
    const helpColumns = new Set<number>();
    COMMANDS.forEach((command, i) => {
      const line = body[i]!;
      expect(line.startsWith(`    ${command.usage}`), line).to.equal(true);
      expect(line.endsWith(command.help), line).to.equal(true);
      helpColumns.add(line.length - command.help.length);
    });
    expect(helpColumns.size).to.equal(1);
  });
});

describe('formatTable and formatWhois: key fingerprints', () => {
  const fingerprint = (key: string): string => `${key}0 1111 2222 3333 4444 5555 6666 7777`.slice(0, 39);

  it('list shows the start of each key fingerprint, and - for a row without a key', () => {
    const lines = formatTable(
      [
        { name: 'x', ip: '127.0.0.1', port: 5001, online: true, key: 'abc' },
        { name: 'y', ip: '::1', port: 5002, online: false },
      ],
      fingerprint,
    );
    expect(lines.slice(1)).to.deep.equal([
      '    NAME  ADDRESS         KEY                   STATUS',
      '    x     127.0.0.1:5001  abc0 1111 2222 3333…  online',
      '    y     [::1]:5002      -                     offline',
    ]);
  });

  it('whois prints the whole fingerprint, or says why it cannot', () => {
    expect(formatWhois('X', { name: 'x', ip: '127.0.0.1', port: 5001, online: true, key: 'abc' }, fingerprint)).to.equal('>>> [x: key fingerprint abc0 1111 2222 3333 4444 5555 6666 7777]');
    expect(formatWhois('y', { name: 'y', ip: '::1', port: 5002, online: false }, fingerprint)).to.equal('>>> [y: the server gave no key for it.]');
    expect(formatWhois('nobody', undefined, fingerprint)).to.match(/^>>> \[Error: no client named nobody/);
  });
});
