import { expect } from 'chai';
import { ConsoleView } from '../../../../src/adapters/console/console-view';
import type { LineStyle } from '../../../../src/adapters/console/console-ui';
import type { ChatEvent } from '../../../../src/application/ports/chat-view';

describe('ConsoleView', () => {
  function shown(event: ChatEvent): { line: string; style: LineStyle | undefined } {
    const printed: Array<{ line: string; style: LineStyle | undefined }> = [];
    new ConsoleView({ print: (line, style) => printed.push({ line, style }) }).show(event);
    expect(printed).to.have.length(1);
    return printed[0]!;
  }

  it('prints the SPEC line of an event', () => {
    expect(shown({ kind: 'direct-acked', to: 'y' }).line).to.equal('>>> [Message received by y.]');
  });

  const styles: ReadonlyArray<[ChatEvent, LineStyle]> = [
    [{ kind: 'error', text: 'no' }, 'error'],
    [{ kind: 'server-not-responding' }, 'error'],
    [{ kind: 'channel-not-responding' }, 'error'],
    [{ kind: 'direct-received', from: 'x', text: 'hi' }, 'message'],
    [{ kind: 'stored-received', from: 'x', storedKind: 'direct', atMs: 0, text: 'hi' }, 'message'],
    [{ kind: 'channel-received', from: 'x', text: 'hi' }, 'channel'],
    [{ kind: 'stored-received', from: 'x', storedKind: 'channel', atMs: 0, text: 'hi' }, 'channel'],
    [{ kind: 'registered' }, 'status'],
    [{ kind: 'table-updated' }, 'status'],
    [{ kind: 'direct-no-ack', to: 'y' }, 'status'],
  ];
  for (const [event, style] of styles) {
    it(`styles ${event.kind} as ${style}`, () => {
      expect(shown(event).style).to.equal(style);
    });
  }
});
