import { expect } from 'chai';
import { formatStoredAt, renderLine } from '../../../../src/adapters/console/line-renderer';
import type { ChatEvent } from '../../../../src/application/ports/chat-view';

/** 2022-03-05 09:07:03 local time: every field below 10, so zero padding shows. */
const STORED_AT_MS = new Date(2022, 2, 5, 9, 7, 3).getTime();

/** Every ChatEvent kind with its line, copied from SPEC §2 (`<x>` filled in). */
const GOLDEN: ReadonlyArray<[ChatEvent, string]> = [
  [{ kind: 'registered' }, '>>> [Welcome, You are registered.]'],
  [{ kind: 'table-updated' }, '>>> [Client table updated.]'],
  [{ kind: 'direct-received', from: 'x', text: 'hello there' }, '>>> x: hello there'],
  [{ kind: 'direct-acked', to: 'y' }, '>>> [Message received by y.]'],
  [{ kind: 'direct-no-ack', to: 'y' }, '>>> [No ACK from y, message sent to server.]'],
  [{ kind: 'saved-by-server' }, '>>> [Messages received by the server and saved]'],
  [{ kind: 'client-exists', name: 'y' }, '>>> [Client y exists!!]'],
  [{ kind: 'offline' }, '>>> [You are Offline. Bye.]'],
  [{ kind: 'server-not-responding' }, '>>> [Server not responding]'],
  [{ kind: 'exiting' }, '>>> [Exiting]'],
  [{ kind: 'have-messages' }, '>>> [You have messages]'],
  [
    { kind: 'stored-received', from: 'y', storedKind: 'direct', atMs: STORED_AT_MS, text: 'are you there' },
    '>>> y: 2022-03-05 09:07:03 are you there',
  ],
  [
    { kind: 'stored-received', from: 'z', storedKind: 'channel', atMs: STORED_AT_MS, text: 'hi all' },
    '>>> Channel_Message z: 2022-03-05 09:07:03 hi all',
  ],
  [{ kind: 'channel-acked' }, '>>> [Message received by Server.]'],
  [{ kind: 'channel-not-responding' }, '>>> [Server not responding.]'],
  [{ kind: 'not-kept', count: 3 }, '>>> [3 messages could not be kept for you while you were away.]'],
  [{ kind: 'channel-received', from: 'x', text: 'hi all' }, '>>> [Channel_Message x: hi all]'],
  [{ kind: 'server-listening', addresses: ['192.168.1.157:5000'] }, '>>> [Server listening on 192.168.1.157:5000]'],
  [{ kind: 'server-switched', from: '127.0.0.1:5000', to: '[::1]:5001' }, '>>> [Server 127.0.0.1:5000 not responding; now using [::1]:5001.]'],
  [{ kind: 'error', text: 'you are registered as x; use dereg x' }, '>>> [Error: you are registered as x; use dereg x.]'],
  [{ kind: 'error', text: 'no client named bop in the table; did you mean bob?' }, '>>> [Error: no client named bop in the table; did you mean bob?]'],
  [{ kind: 'info', text: '[Client table: 1 client, 1 online]' }, '>>> [Client table: 1 client, 1 online]'],
];

/** Anything a terminal would act on rather than show: C0, DEL, C1, bidi controls, line separators. */
const ACTIVE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;

describe('renderLine', () => {
  it('has a golden line for every event kind', () => {
    const kinds = new Set(GOLDEN.map(([e]) => e.kind));
    const all: Record<ChatEvent['kind'], true> = {
      registered: true, 'table-updated': true, 'direct-received': true, 'direct-acked': true,
      'direct-no-ack': true, 'saved-by-server': true, 'client-exists': true, offline: true,
      'server-not-responding': true, exiting: true, 'have-messages': true, 'stored-received': true,
      'channel-acked': true, 'channel-not-responding': true, 'channel-received': true,
      'server-listening': true, error: true, info: true, 'not-kept': true, 'server-switched': true,
    };
    expect([...kinds].sort()).to.deep.equal(Object.keys(all).sort());
  });

  for (const [event, line] of GOLDEN) {
    it(`renders ${event.kind}${event.kind === 'stored-received' ? ` (${event.storedKind})` : ''} as ${line}`, () => {
      expect(renderLine(event)).to.equal(line);
    });
  }

  it('keeps Unicode text as it is', () => {
    expect(renderLine({ kind: 'direct-received', from: 'x', text: 'héllo 世界 👋' })).to.equal('>>> x: héllo 世界 👋');
  });

  const hostile = [
    'two\nlines',
    'carriage\rreturn',
    'red \x1b[31mtext\x1b[0m',
    'clear \x1b[2J\x1b[H',
    'bell\x07 and nul\x00',
    'c1 \x9b31m csi',
    'del\x7f',
    'bidi \u202egnp.exe\u202c and \u2066isolate\u2069',
    'line\u2028separator',
  ];
  for (const text of hostile) {
    it(`escapes ${JSON.stringify(text)} in names and texts so it stays one inert line`, () => {
      const events: ChatEvent[] = [
        { kind: 'direct-received', from: text, text },
        { kind: 'channel-received', from: text, text },
        { kind: 'stored-received', from: text, storedKind: 'direct', atMs: STORED_AT_MS, text },
        { kind: 'direct-acked', to: text },
        { kind: 'client-exists', name: text },
        { kind: 'error', text },
      ];
      for (const event of events) {
        const line = renderLine(event);
        expect(line, event.kind).not.to.match(ACTIVE);
        expect(line.split('\n'), event.kind).to.have.length(1);
      }
    });
  }

  it('shows escapes readably and keeps a literal backslash distinguishable from one', () => {
    expect(renderLine({ kind: 'direct-received', from: 'x', text: 'a\nb\x1b[31m\\n' })).to.equal('>>> x: a\\nb\\x1b[31m\\\\n');
  });

  it('formats the stored time as local YYYY-MM-DD HH:MM:SS', () => {
    expect(formatStoredAt(new Date(2023, 11, 31, 23, 59, 58).getTime())).to.equal('2023-12-31 23:59:58');
  });
});
