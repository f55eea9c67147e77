import { inject, injectable } from 'inversify';
import { Crypto } from '../ports/crypto';
import { ReliableSender } from '../reliable-sender';
import { ChatSettings } from '../settings';
import type { PushTarget } from './server-state';

/** Asks a client the server believes online whether it is still there (one 500 ms wait). */
@injectable()
export class LivenessProbe {
  constructor(
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(ChatSettings) private readonly settings: ChatSettings,
  ) {}

  async isAlive(target: PushTarget | undefined): Promise<boolean> {
    if (!target) return false;
    const reply = await this.sender.request(target.address, { t: 'probe', id: this.crypto.messageId(), token: target.token }, this.settings.policies.probe);
    return reply !== undefined;
  }
}
