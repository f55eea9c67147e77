import { expect } from 'chai';
import { InvalidNameError } from '../../../src/domain/domain-error';
import { isValidName, nameKey, NAME_MAX_LENGTH, parseNickname } from '../../../src/domain/nickname';

describe('domain/nickname', () => {
  it('accepts letters, digits, _ and -', () => {
    for (const raw of ['x', 'Alice', 'bob_2', 'a-b', '_', '-', '0', 'Z9_-z']) {
      const parsed = parseNickname(raw);
      expect(parsed.ok, raw).to.equal(true);
      if (parsed.ok) {
        expect(parsed.value.display).to.equal(raw);
        expect(parsed.value.key).to.equal(raw.toLowerCase());
      }
    }
  });

  it('reserves Server, in any case: it is the channel\'s sender, never a client', () => {
    for (const raw of ['Server', 'server', 'SERVER', 'sErVeR']) {
      expect(isValidName(raw), raw).to.equal(false);
      const parsed = parseNickname(raw);
      expect(!parsed.ok && parsed.error.message).to.include('reserved');
    }
    expect(isValidName('Servers')).to.equal(true);
  });

  it('accepts exactly 32 characters and refuses 33', () => {
    expect(NAME_MAX_LENGTH).to.equal(32);
    expect(isValidName('a'.repeat(32))).to.equal(true);
    expect(isValidName('a'.repeat(33))).to.equal(false);
  });

  it('refuses empty, hostile and non-ASCII names with an InvalidNameError', () => {
    const hostile = [
      '',
      '../x',
      '..',
      'a/b',
      'a\\b',
      'a b',
      ' a',
      'a ',
      'a\u0000',
      '\u0000',
      'a\n',
      'a\nb',
      'a\tb',
      '\u001b[31mred',
      '\uFF41\uFF42\uFF43', // fullwidth letters
      '\uFF21',
      '\uFF10', // fullwidth digit
      'é',
      '\u0131', // dotless i: would lower-case into ASCII confusion
      '\u212A', // Kelvin sign, lower-cases to ASCII k
      '😀',
      'a.b',
      'a:b',
      'a*',
      '$(rm)',
      'x;y',
    ];
    for (const raw of hostile) {
      const parsed = parseNickname(raw);
      expect(parsed.ok, JSON.stringify(raw)).to.equal(false);
      if (!parsed.ok) {
        expect(parsed.error).to.be.instanceOf(InvalidNameError);
        expect(parsed.error.code).to.equal('invalid-name');
      }
    }
  });

  it('compares case-insensitively through the key but keeps the display spelling', () => {
    const a = parseNickname('Alice');
    const b = parseNickname('aLICE');
    expect(a.ok && b.ok).to.equal(true);
    if (a.ok && b.ok) {
      expect(a.value.key).to.equal(b.value.key);
      expect(a.value.display).to.equal('Alice');
      expect(b.value.display).to.equal('aLICE');
    }
    expect(nameKey('MiXeD_-9')).to.equal('mixed_-9');
  });
});
