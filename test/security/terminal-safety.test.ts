import { expect } from 'chai';
import fc from 'fast-check';
import type { ChatEvent } from '../../src/application/ports/chat-view';
import { renderLine } from '../../src/adapters/console/line-renderer';
import { terminalSafe } from '../../src/adapters/console/terminal-safe';
import type { Address } from '../../src/domain/address';
import { InMemorySecretStore } from '../../src/adapters/in-memory/in-memory-secret-store';
import { keysBeside } from '../../src/composition/memory-stores-module';
import { MemoryAttacker } from '../support/attacker';
import { sealedChatWith, testE2e } from '../support/peer-keys';
import { Scenario } from '../support/scenario';

/** Anything a terminal acts on: C0, DEL, C1, bidi overrides/isolates/marks, line and paragraph separators. */
const DANGEROUS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;

const HOSTILE_TEXTS = [
  '\x1b[2J\x1b[H', // clear screen, cursor home
  '\x1b]0;pwned\x07', // set window title (OSC)
  '\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\', // hyperlink
  '\x1bP+q\x1b\\', // DCS
  '\x9b31mred\x9b0m', // C1 CSI
  '\x85next line', // C1 NEL
  '\u202eevil\u202c', // right-to-left override
  '\u2066isolate\u2069 \u200f\u061c',
  'line one\nline two\r\nline three\rover',
  '\u2028separator\u2029',
  'nul\u0000 del\u007f bell\u0007 backspace\b tab\t',
  'back\\slash \\x1b literally',
];

/** Events that carry untrusted names and texts. */
function eventsWith(name: string, text: string): ChatEvent[] {
  return [
    { kind: 'direct-received', from: name, text },
    { kind: 'channel-received', from: name, text },
    { kind: 'stored-received', from: name, storedKind: 'direct', atMs: 0, text },
    { kind: 'stored-received', from: name, storedKind: 'channel', atMs: 0, text },
    { kind: 'direct-acked', to: name },
    { kind: 'direct-no-ack', to: name },
    { kind: 'client-exists', name },
    { kind: 'error', text },
    { kind: 'info', text },
  ];
}

describe('security: terminal safety of names and texts', () => {
  it('ESC sequences, C1, bidi overrides and newlines in names and texts render as one escaped line', () => {
    let lines = 0;
    for (const text of HOSTILE_TEXTS) {
      for (const event of eventsWith(text, text)) {
        const line = renderLine(event);
        lines += 1;
        expect(line, JSON.stringify(event)).to.not.match(DANGEROUS);
        expect(line.split('\n')).to.have.length(1);
        expect(line.startsWith('>>> ')).to.equal(true);
      }
    }
    console.log(`      ${HOSTILE_TEXTS.length} hostile texts × 9 event kinds: ${lines} lines rendered, 0 with a control character or a line break`);
    expect(renderLine({ kind: 'direct-received', from: 'x', text: 'a\nb\x1b[2J' })).to.equal('>>> x: a\\nb\\x1b[2J');
  });

  it('property: any string renders to one line without dangerous characters, and distinct strings stay distinct', () => {
    const anyText = fc.string({ unit: 'binary', maxLength: 80 });
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        for (const event of eventsWith(a, b)) {
          const line = renderLine(event);
          if (DANGEROUS.test(line) || line.includes('\n')) return false;
        }
        return a === b || terminalSafe(a) !== terminalSafe(b);
      }),
      { seed: 4119, numRuns: 1000 },
    );
  });

  it('over the wire: a message full of escape sequences arrives and prints as one escaped line', async () => {
    const s = new Scenario({ seed: 9 });
    try {
      await s.startServer();
      const secrets = new InMemorySecretStore();
      const x = await s.startClient('x', { secrets });
      const y = await s.startClient('y');
      const hostile = HOSTILE_TEXTS.join(' ');
      // The command line cannot type a newline; send it the way a hostile peer would, sealed with x's key (as x).
      const row = y.client.tableRows().find((r) => r.name === 'x')!;
      const yRow = y.client.tableRows().find((r) => r.name === 'y')!;
      const xAddress: Address = { ip: row.ip, port: row.port };
      const forger = new MemoryAttacker(s.network);
      const mark = y.lines.length;
      forger.spoof(xAddress, { ip: yRow.ip, port: yRow.port }, { t: 'chat', id: 'esc1', from: 'x', to: 'y', sealed: sealedChatWith(await keysBeside(secrets).keysFor('x', () => testE2e.newIdentity()), yRow.key!, 'esc1', hostile, 'x', 'y') });
      void x.type(`send_all ${HOSTILE_TEXTS.slice(0, 7).join(' ')}`);
      await s.run(200);
      const printed = y.view.since(mark);
      expect(printed).to.have.length(2);
      for (const line of printed) {
        expect(line).to.not.match(DANGEROUS);
        expect(line).to.not.include('\n');
      }
      expect(printed[0]).to.equal(`>>> x: ${terminalSafe(hostile)}`);
      console.log(`      over the wire: ${printed.length} hostile messages printed as ${printed.length} escaped lines`);
    } finally {
      await s.stop();
    }
  });
});
