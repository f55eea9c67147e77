import { inject, injectable } from 'inversify';
import type { Address } from '../../domain/address';
import { ClientTable } from '../../domain/client-table';
import { DedupWindow } from '../../domain/dedup-window';
import { nameKey } from '../../domain/nickname';
import type { IdentityKeys } from '../ports/key-store';
import { ClientIdentity, ChatSettings } from '../settings';
import { KnownInstances } from './known-instances';

/** Where a client is in its life: registering, online, offline after dereg, or gone. */
export type ClientState = 'starting' | 'online' | 'offline' | 'exited';

/** Ids of shown messages are kept this long, so a stored copy of a message seen live is not shown again. */
const SHOWN_RETENTION_MS = 7 * 24 * 3600 * 1000;
const SHOWN_MAX_ENTRIES = 100_000;

/**
 * The state of one client process: its name, session token, local copy of the table, and
 * which messages it has already shown.
 */
@injectable()
export class ClientSession {
  readonly name: string;
  readonly key: string;
  /** The server instances this client may use; requests go to the current one. */
  readonly instances: KnownInstances;
  readonly table = new ClientTable();
  /** Messages shown, keyed `sender|id`: live and stored copies of one message are one. */
  readonly shown = new DedupWindow(SHOWN_RETENTION_MS, SHOWN_MAX_ENTRIES);
  /** Table datagrams acted on, so a retransmitted part is not applied or printed twice. */
  readonly tableSeen: DedupWindow;
  /** This name's identity key pair, loaded (or made) at the first registration. */
  identity: IdentityKeys | undefined;
  /** The key each name was last listed with (name key → public key): a change is told to the user. */
  readonly pinnedKeys = new Map<string, string>();
  /** Keeps `pinnedKeys` across restarts (set with the identity at the first registration). */
  savePins: (() => void) | undefined;
  /** Direct messages awaiting their ACK (by id): the key an ACK's tag must verify under, and the ACK's signer. */
  readonly awaitingAcks = new Map<string, { readonly proof: string }>();
  state: ClientState = 'starting';
  token = '';
  /** Set when `[You have messages]` was printed for the current log-in. */
  announcedStored = false;
  /**
   * Set on moving to another server instance: its table versions are its own, so the next whole
   * table is taken whatever its version, and announced only if its rows differ from ours.
   */
  tableFromNewInstance = false;
  /**
   * Set at each welcome: the first table after it is announced, as the assignment prints it
   * after every registration; later tables are announced only when they change the rows.
   */
  firstTablePending = false;
  /** Exit status requested by a use case (the composition root ends the process). */
  exitCode: number | undefined;

  constructor(
    @inject(ClientIdentity) identity: ClientIdentity,
    @inject(ChatSettings) settings: ChatSettings,
  ) {
    this.name = identity.name;
    this.key = nameKey(identity.name);
    this.instances = new KnownInstances(identity.server, identity.servers ?? []);
    this.tableSeen = new DedupWindow(settings.dedupRetentionMs);
  }

  /** The server instance requests go to now. */
  get server(): Address {
    return this.instances.current;
  }

  isMe(name: string): boolean {
    return nameKey(name) === this.key;
  }
}
