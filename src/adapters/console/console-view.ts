import type { ChatEvent, ChatView } from '../../application/ports/chat-view';
import type { LineStyle } from './console-ui';
import { renderLine } from './line-renderer';

/** Where rendered lines go: the console UI, or a recorder in tests. */
export interface LineSink {
  print(line: string, style?: LineStyle): void;
  /** Resolves once every line printed so far is out (a sink may gather lines); absent: at once. */
  written?(): Promise<void>;
  /** True when no printed line is waiting to go out; absent: lines go out at once. */
  allWritten?(): boolean;
}

/** The ChatView of a console node: each event becomes its exact SPEC §2 line, with a style. */
export class ConsoleView implements ChatView {
  constructor(private readonly sink: LineSink) {}

  show(event: ChatEvent): void {
    this.sink.print(renderLine(event), styleOf(event));
  }

  shown(): Promise<void> {
    return this.sink.written?.() ?? Promise.resolve();
  }

  allShown(): boolean {
    return this.sink.allWritten?.() ?? this.sink.written === undefined;
  }
}

/** The style only affects colour on a terminal; the text is always the SPEC line. */
function styleOf(event: ChatEvent): LineStyle {
  switch (event.kind) {
    case 'error':
    case 'server-not-responding':
    case 'channel-not-responding':
    case 'exiting':
      return 'error';
    case 'direct-received':
      return 'message';
    case 'channel-received':
      return 'channel';
    case 'stored-received':
      return event.storedKind === 'channel' ? 'channel' : 'message';
    default:
      return 'status';
  }
}
