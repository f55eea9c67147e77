import type { ServiceIdentifier } from 'inversify';

/** One `send_all` as the server accepted it, with the name keys of the members it must reach. */
export interface ChannelEntry {
  /** The sender's id for the message; every copy of it keeps this id, so no member shows it twice. */
  readonly id: string;
  /** The sender's name as shown to the members. */
  readonly sender: string;
  readonly text: string;
  /** Epoch milliseconds when the server accepted it (the time shown if it ends up stored). */
  readonly storedAtMs: number;
  /** Name keys of the members it is owed to. */
  readonly recipients: readonly string[];
  /**
   * The server instance that recorded it last, in a system of several (it is pushing it): a
   * takeover hands over only what instances no longer alive owe. Absent for a single server.
   */
  readonly by?: string;
}

/** A channel message some of whose members have not had it yet. */
export interface PendingChannelEntry {
  readonly entry: ChannelEntry;
  /** Name keys still owed the message (a subset of `entry.recipients`). */
  readonly recipients: readonly string[];
}

/**
 * The server's channel log: a `send_all` is recorded here (durably) before its sender gets the
 * ACK, and each member's delivery is marked as it happens, so a server killed between the ACK
 * and the pushes still owes the message to every member it had not reached, and hands it over
 * to their mailboxes when it starts again.
 */
export interface ChannelLog {
  /**
   * Record `entry`; resolves only once it is durable (on disk for the file log). A retried
   * `send_all` records its id once per member: recording an id still owed to someone adds only
   * the members it was not recorded for (the table may have changed since: a server killed
   * before its ACK, then retried, sees other members online), and resolves once all of it is
   * durable. An id no longer owed to anyone is recorded afresh (its members show the copy once).
   */
  record(entry: ChannelEntry): Promise<void>;
  /**
   * `recipientKey` has the message (it ACKed the push, or it is durably in its mailbox). This may
   * be made durable lazily: losing the mark in a crash only makes the message owed again, and its
   * recipient shows a second copy with the same sender and id once.
   */
  delivered(id: string, recipientKey: string): Promise<void>;
  /** Every recorded message still owed to someone, oldest first, with who is still owed it. */
  pending(): Promise<PendingChannelEntry[]>;
  /** Flush and release files. */
  close(): Promise<void>;
}

export const ChannelLog: ServiceIdentifier<ChannelLog> = Symbol('ChannelLog');
