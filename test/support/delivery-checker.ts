import type { ChatEvent } from '../../src/application/ports/chat-view';
import { nameKey } from '../../src/domain/nickname';

/** A save or send_all the crash test's clients sent, as they sent it. */
export interface SentMessage {
  readonly senderKey: string;
  readonly id: string;
  /** Unique per message, so what a view showed can be matched to the message. */
  readonly text: string;
  readonly kind: 'direct' | 'channel';
  readonly recipients: readonly string[];
  acked: boolean;
}

/** One item a client's socket received (a channel push, or an item of a stored batch). */
export interface ReceivedItem {
  readonly from: string;
  readonly id: string;
  readonly kind: 'direct' | 'channel';
  readonly text: string;
}

export interface DeliveryFigures {
  deliveries: number;
  unexpected: number;
  redelivered_after_ack: number;
  shown_twice: number;
}

/**
 * The crash test's account of deliveries, kept from what the clients' sockets received, what
 * they ACKed and what the real client's inbound handling asked its view to show; it shares no
 * code with the server's stores or the client's dedup, which are what it checks.
 */
export class DeliveryChecker {
  readonly figures: DeliveryFigures = { deliveries: 0, unexpected: 0, redelivered_after_ack: 0, shown_twice: 0 };
  /** `recipient|sender|id` → whether the recipient has ACKed a datagram carrying it. */
  private readonly received = new Map<string, { acked: boolean }>();
  /** `recipient|sender|text` → how many times its view showed it. */
  private readonly shows = new Map<string, number>();

  constructor(
    private readonly sent: ReadonlyMap<string, SentMessage>,
    private readonly problem: (text: string) => void = () => undefined,
  ) {}

  /** An item arrived at `recipientKey`'s socket; false if it is unexpected (never sent, not for it, altered). */
  arrived(recipientKey: string, item: ReceivedItem): boolean {
    this.figures.deliveries++;
    const message = this.sent.get(`${nameKey(item.from)}|${item.id}`);
    if (!message || !message.recipients.includes(recipientKey) || message.text !== item.text || message.kind !== item.kind) {
      this.figures.unexpected++;
      this.problem(`unexpected delivery to ${recipientKey}: ${JSON.stringify(item)}${message ? ` (sent: ${JSON.stringify(message)})` : ' (never sent)'}`);
      return false;
    }
    const key = `${recipientKey}|${nameKey(item.from)}|${item.id}`;
    const record = this.received.get(key);
    if (!record) this.received.set(key, { acked: false });
    else if (record.acked) this.figures.redelivered_after_ack++;
    return true;
  }

  /** `recipientKey` sent the server an ACK for a datagram carrying these items. */
  acked(recipientKey: string, items: ReadonlyArray<{ from: string; id: string }>): void {
    for (const item of items) {
      const record = this.received.get(`${recipientKey}|${nameKey(item.from)}|${item.id}`);
      if (record) record.acked = true;
    }
  }

  /** `recipientKey`'s real inbound handling asked its view to show `event`. */
  shown(recipientKey: string, event: ChatEvent): void {
    if (event.kind !== 'channel-received' && event.kind !== 'stored-received' && event.kind !== 'direct-received') return;
    const key = `${recipientKey}|${nameKey(event.from)}|${event.text}`;
    const times = (this.shows.get(key) ?? 0) + 1;
    this.shows.set(key, times);
    if (times > 1) {
      this.figures.shown_twice++;
      this.problem(`${recipientKey} was shown ${event.from}: ${event.text} ${times} times`);
    }
  }

  /** Whether `message` reached `recipientKey`'s socket. */
  reached(recipientKey: string, message: SentMessage): boolean {
    return this.received.has(`${recipientKey}|${message.senderKey}|${message.id}`);
  }

  /** Whether `recipientKey`'s view showed `message`. */
  wasShown(recipientKey: string, message: SentMessage): boolean {
    return this.shows.has(`${recipientKey}|${message.senderKey}|${message.text}`);
  }
}
