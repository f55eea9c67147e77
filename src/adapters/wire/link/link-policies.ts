import { formatAddress, sameAddress, type Address } from '../../../domain/address';
import type { Logger } from '../../../application/ports/logger';
import type { LinkPolicy } from './secure-link';
import type { ServerPins } from './server-pins';

/**
 * A server instance's link: every peer's traffic goes through it, anyone may begin a
 * handshake (registering proves the name by the key the handshake proved), and a client the
 * instance calls itself (a push to a client it has no session with) must hold a key the table
 * lists at that address, so a push never reaches whoever took the address over.
 */
export function serverLinkPolicy(keysAt: (peer: Address) => readonly string[]): LinkPolicy {
  return {
    protects: () => true,
    mayInitiate: () => true,
    accepts: (peer, staticKey, weInitiated) => !weInitiated || keysAt(peer).includes(staticKey),
  };
}

/** Why a client refused a server's key: the key it presented and the one pinned before. */
export interface RefusedServerKey {
  readonly server: Address;
  readonly presented: string;
  readonly pinned: string;
}

/**
 * A client's link: its traffic with the instances of its server's system goes through it
 * (messages to other clients are sealed end to end instead), and keys are pinned as SSH's
 * known_hosts does, per address, at first contact. An
 * address never contacted before must present the key pinned for the client's start server
 * when there is one: the instances of one system share one key, so a failover cannot be the
 * moment an impostor gets pinned. A key that differs from its pin is refused (`onRefused`),
 * unless the user said to accept a new one (`acceptNew`).
 */
export function clientLinkPolicy(options: {
  readonly knows: (peer: Address) => boolean;
  readonly startServer: () => Address;
  readonly pins: ServerPins;
  readonly acceptNew: boolean;
  readonly logger: Logger;
  readonly onRefused?: (refusal: RefusedServerKey) => void;
}): LinkPolicy {
  const { pins, logger } = options;
  return {
    protects: options.knows,
    // Any address may begin a handshake: an instance of the system the client has not heard of
    // yet (started after its last `servers` push) pushes to it this way. accepts() holds such an
    // address to the key of the client's start server, the system's, so no one else gets in.
    mayInitiate: () => true,
    accepts: (peer, staticKey) => {
      const own = pins.pinned(peer);
      if (own === staticKey) return true;
      const start = options.startServer();
      const pinned = own ?? (sameAddress(peer, start) ? undefined : pins.pinned(start));
      if (pinned !== undefined && pinned !== staticKey && !options.acceptNew) {
        options.onRefused?.({ server: peer, presented: staticKey, pinned });
        return false;
      }
      pins.pin(peer, staticKey);
      logger.info(own === undefined ? 'pinned the key of a server at first contact' : 'accepted a new key for a server', { server: formatAddress(peer), key: staticKey });
      return true;
    },
  };
}
