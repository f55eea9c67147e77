import { inject, injectable } from 'inversify';
import { formatAddress, sameAddress, type Address } from '../../domain/address';
import { ChatView } from '../ports/chat-view';
import { Logger } from '../ports/logger';
import { ConfirmRegistration } from '../use-cases/client/confirm-registration';
import { Register } from '../use-cases/client/register';
import { ClientSession } from './client-session';

/** What the client shows once it is registered on another instance. */
export interface MoveOptions {
  /** Also print the welcome line (a `reg` or the first registration, which the user expects it from). */
  readonly welcome: boolean;
  /** The instance said it is stopping (a `servers` push with `leaving`), rather than falling silent. */
  readonly stopped?: boolean;
}

/**
 * Moves the client to another known server instance when its current one stops answering
 * (SPEC §7 "Several servers"). Candidates are tried in the order of `KnownInstances
 * .alternativesTo`: on each the client registers again with its name's secret and confirms,
 * as at start. The first that welcomes it becomes current, and the client prints
 * `[Server <old> not responding; now using <new>.]`, but neither the welcome (the user did
 * not ask to register: the session goes on) nor, if the new instance's table holds the same
 * rows, `[Client table updated.]`. A candidate that does not answer, or refuses the name
 * (an instance of another system, say: logged, not shown), is passed over. If none takes
 * the client, the failed instance stays current and the caller reports the failure as it
 * would have without other instances.
 *
 * Requests failing together share one move: a caller whose request failed while a move was
 * under way, or at an instance the client has since left, gets the outcome of that move
 * and sends its request again to the new current instance.
 */
@injectable()
export class Failover {
  private moving: Promise<boolean> | undefined;

  constructor(
    @inject(ClientSession) private readonly session: ClientSession,
    @inject(Register) private readonly register: Register,
    @inject(ConfirmRegistration) private readonly confirm: ConfirmRegistration,
    @inject(ChatView) private readonly view: ChatView,
    @inject(Logger) private readonly logger: Logger,
  ) {}

  /** True if there is any instance to move to from `failed`. */
  hasAlternatives(failed: Address): boolean {
    return this.session.instances.alternativesTo(failed).length > 0;
  }

  /** Resolves once no move is under way: a request sent during one would go to an instance not yet confirmed. */
  async settled(): Promise<void> {
    while (this.moving) await this.moving;
  }

  /**
   * A request to `failed` went unanswered after every transmission. Resolves true when the
   * client is registered on another instance, so the request is to be sent again (same id)
   * to the current one; false when no other known instance took it.
   */
  recover(failed: Address, options: MoveOptions = { welcome: false }): Promise<boolean> {
    if (this.moving) return this.moving;
    if (!sameAddress(failed, this.session.server)) return Promise.resolve(true);
    if (!this.hasAlternatives(failed)) return Promise.resolve(false);
    const move = this.moveFrom(failed, options).finally(() => {
      if (this.moving === move) this.moving = undefined;
    });
    this.moving = move;
    return move;
  }

  private async moveFrom(failed: Address, options: MoveOptions): Promise<boolean> {
    let from = failed;
    for (const candidate of this.session.instances.alternativesTo(failed)) {
      if (this.session.state === 'exited') break;
      this.session.instances.use(candidate);
      const registered = await this.register.execute();
      if (!registered.ok) {
        this.logger.warn('another server instance did not take this client', { instance: formatAddress(candidate), reason: registered.error.code });
        continue;
      }
      this.logger.warn('moved to another server instance', { from: formatAddress(from), to: formatAddress(candidate) });
      this.view.show({ kind: 'server-switched', from: formatAddress(from), to: formatAddress(candidate), ...(options.stopped ? { stopped: true } : {}) });
      if (options.welcome) this.view.show({ kind: 'registered' });
      from = candidate;
      // Its table versions are its own: the whole table it sends on the confirm is taken as is.
      this.session.table.forgetVersion();
      // A registration the user asked for (`reg`, the first one) shows its table line as always;
      // a move in the middle of a session announces the table only if it changes the rows.
      this.session.tableFromNewInstance = !options.welcome;
      const confirmed = await this.confirm.execute();
      if (confirmed.ok) return true;
      this.logger.warn('the new server instance did not confirm this client', { instance: formatAddress(candidate), reason: confirmed.error.code });
    }
    // Back to the last instance that welcomed us (the one the user was last told of), else the failed one.
    this.session.instances.use(from);
    return false;
  }
}
