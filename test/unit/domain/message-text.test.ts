import { expect } from 'chai';
import { EmptyMessageError, MessageTooLongError } from '../../../src/domain/domain-error';
import { MESSAGE_MAX_BYTES, utf8Length, validateMessageText } from '../../../src/domain/message-text';

describe('domain/message-text', () => {
  it('counts UTF-8 bytes like Buffer.byteLength, including emoji, surrogates and combining marks', () => {
    const samples = [
      '',
      'hello',
      'é', // 2 bytes
      'e\u0301', // combining acute: 1 + 2
      '€', // 3 bytes
      '日本語',
      '😀', // surrogate pair: 4 bytes
      '👩‍👩‍👧‍👦', // ZWJ family
      '🇫🇷',
      '\u{10FFFF}',
      '\u007f\u0080\u07ff\u0800\uffff\u{10000}',
      'mixed ascii and 中文 and 🎉!',
      '\ud83d', // lone high surrogate: encoded as U+FFFD (3 bytes)
      '\ude00', // lone low surrogate
      'a\ud83db', // lone surrogate between letters
    ];
    for (const text of samples) {
      expect(utf8Length(text), JSON.stringify(text)).to.equal(Buffer.byteLength(text, 'utf8'));
    }
    expect(utf8Length('😀')).to.equal(4);
    expect('😀'.length).to.equal(2); // UTF-16 units differ from bytes
  });

  it('accepts exactly 1000 bytes and refuses 1001', () => {
    expect(MESSAGE_MAX_BYTES).to.equal(1000);
    expect(validateMessageText('a'.repeat(1000)).ok).to.equal(true);
    const over = validateMessageText('a'.repeat(1001));
    expect(over.ok).to.equal(false);
    if (!over.ok) {
      expect(over.error).to.be.instanceOf(MessageTooLongError);
      expect(over.error.code).to.equal('message-too-long');
      expect((over.error as MessageTooLongError).bytes).to.equal(1001);
      expect((over.error as MessageTooLongError).limitBytes).to.equal(1000);
    }
  });

  it('measures the limit in bytes, not characters', () => {
    expect(validateMessageText('😀'.repeat(250)).ok).to.equal(true); // 1000 bytes, 500 UTF-16 units
    expect(validateMessageText('😀'.repeat(250) + 'a').ok).to.equal(false); // 1001 bytes
    expect(validateMessageText('é'.repeat(500)).ok).to.equal(true);
    expect(validateMessageText('é'.repeat(501)).ok).to.equal(false);
  });

  it('refuses an empty message and takes a custom limit', () => {
    const empty = validateMessageText('');
    expect(empty.ok).to.equal(false);
    if (!empty.ok) {
      expect(empty.error).to.be.instanceOf(EmptyMessageError);
      expect(empty.error.code).to.equal('empty-message');
    }
    expect(validateMessageText('abc', 3).ok).to.equal(true);
    expect(validateMessageText('abcd', 3).ok).to.equal(false);
    const ok = validateMessageText(' ');
    expect(ok).to.deep.equal({ ok: true, value: ' ' });
  });
});
