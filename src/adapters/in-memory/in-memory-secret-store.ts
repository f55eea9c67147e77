import type { SecretStore } from '../../application/ports/secret-store';

/** Name secrets in memory (share one instance between two clients to model "same user, new process"). */
export class InMemorySecretStore implements SecretStore {
  private readonly secrets = new Map<string, string>();

  async secretFor(nameKey: string, create: () => string): Promise<string> {
    let secret = this.secrets.get(nameKey);
    if (secret === undefined) {
      secret = create();
      this.secrets.set(nameKey, secret);
    }
    return secret;
  }
}
