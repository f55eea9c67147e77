import { inject, injectable } from 'inversify';
import type { Address } from '../../domain/address';
import { Crypto } from '../ports/crypto';
import { ReliableSender } from '../reliable-sender';
import { ChatSettings } from '../settings';

/** Asks a client the server believes online whether it is still there (one 500 ms wait). */
@injectable()
export class LivenessProbe {
  constructor(
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(ChatSettings) private readonly settings: ChatSettings,
  ) {}

  async isAlive(address: Address): Promise<boolean> {
    const reply = await this.sender.request(address, { t: 'probe', id: this.crypto.messageId() }, this.settings.policies.probe);
    return reply !== undefined;
  }
}
