import type { ChatEvent, ChatView } from '../../src/application/ports/chat-view';
import { renderLine } from '../../src/adapters/console/line-renderer';

/** Records what a node would print: the events and their exact console lines. */
export class RecordingView implements ChatView {
  readonly events: ChatEvent[] = [];
  readonly lines: string[] = [];

  show(event: ChatEvent): void {
    this.events.push(event);
    this.lines.push(renderLine(event));
  }

  /** Lines printed since `from` (an index into `lines`). */
  since(from: number): string[] {
    return this.lines.slice(from);
  }
}
