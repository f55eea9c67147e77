import { sameAddress, type Address } from '../../domain/address';
import type { Logger } from '../../application/ports/logger';
import type { Inbound } from '../../application/ports/transport';
import { MAX_MORE_ACKS, type Message, type MessageOf } from '../../application/protocol/envelope';
import type { DatagramLink } from './link/datagram-link';

type Ack = MessageOf<'ack'>;

/** Peers whose ACKs one turn holds for runs at most; past them, an ACK goes alone. */
const MAX_PEERS_PER_TURN = 16;

/**
 * What `send` answers for an ACK the merger took: sent, as far as the caller can tell; its
 * bytes are counted with the datagram it goes out in, at the end of the turn.
 */
export const MERGED = { sent: true, bytes: 0 } as const;

/** An ACK that says nothing but which message it answers (and its proof): one that can share a datagram. */
function isPlainAck(message: Message): message is Ack {
  if (message.t !== 'ack') return false;
  for (const key in message) if (key !== 't' && key !== 're' && key !== 'proof') return false;
  return true;
}

/**
 * Puts the plain ACKs a node sends one peer in one turn of the event loop into as few
 * datagrams as `more` allows (protocol 13). A client that shows a run of direct messages at
 * once (a pasted burst, several sends in flight) ACKs them together once their lines are out,
 * and the sender then reads one datagram for the run instead of one each. An ACK alone in its
 * turn goes as it always did, at the end of that turn, when Node's send would put it out anyway.
 */
export class AckMerger {
  /** This turn's ACKs, by peer in the order first ACKed (a turn ACKs few peers: a list, no keys). */
  private runs: Array<{ readonly to: Address; readonly acks: Ack[] }> = [];

  /**
   * `put` sends one message now (the transport's own send, past the merger). ACKs to a peer the
   * `link` seals for (a server) go alone: only clients, which talk outside it, send runs.
   */
  constructor(
    private readonly put: (to: Address, message: Ack) => void,
    private readonly link?: DatagramLink,
  ) {}

  /** Takes `message` to send with the other ACKs to `to` of this turn; false when it is to go now, as it is. */
  offer(to: Address, message: Message): boolean {
    if (message.t !== 'ack' || (this.link?.overheadFor(to) ?? 0) > 0 || !isPlainAck(message)) return false;
    for (const run of this.runs) {
      if (sameAddress(run.to, to)) {
        run.acks.push(message);
        return true;
      }
    }
    // Many peers in one turn is no run worth holding for (and keeps the search short).
    if (this.runs.length >= MAX_PEERS_PER_TURN) return false;
    this.runs.push({ to, acks: [message] });
    // After every promise callback of this turn: ACKs written in one batch leave together.
    if (this.runs.length === 1) process.nextTick(this.flush);
    return true;
  }

  /** Drops what waits (the socket is closing). */
  clear(): void {
    this.runs = [];
  }

  private readonly flush = (): void => {
    const runs = this.runs;
    this.runs = [];
    for (const { to, acks } of runs) {
      if (acks.length === 1) this.put(to, acks[0]!);
      else for (let i = 0; i < acks.length; i += 1 + MAX_MORE_ACKS) this.put(to, merged(acks.slice(i, i + 1 + MAX_MORE_ACKS)));
    }
  };
}

function merged(acks: readonly Ack[]): Ack {
  const [first, ...rest] = acks;
  if (rest.length === 0) return first!;
  const more: string[] = [];
  for (const ack of rest) more.push(ack.re, ack.proof ?? '');
  return { ...first!, more };
}

/**
 * Hands what arrived to a transport's handler: an `ack` carrying `more` as the ACKs it stands
 * for, each as if it had come alone. A handler that throws is logged, never let through to the
 * socket's event loop, and the ACKs after it are still handed on.
 */
export function handOn(inbound: Inbound, handler: (inbound: Inbound) => void, logger: Logger): void {
  const message = inbound.message;
  if (message.t !== 'ack' || message.more === undefined) return deliver(inbound, handler, logger);
  const { more, ...first } = message;
  deliver({ ...inbound, message: first }, handler, logger);
  for (let i = 0; i + 1 < more.length; i += 2) {
    deliver({ ...inbound, message: more[i + 1] === '' ? { t: 'ack', re: more[i]! } : { t: 'ack', re: more[i]!, proof: more[i + 1]! } }, handler, logger);
  }
}

function deliver(inbound: Inbound, handler: (inbound: Inbound) => void, logger: Logger): void {
  try {
    handler(inbound);
  } catch (error) {
    logger.error('handler failed on a datagram', { type: inbound.message.t, error: String(error) });
  }
}
