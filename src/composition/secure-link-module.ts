import { ContainerModule, type ResolutionContext, type ServiceIdentifier } from 'inversify';
import { ClientSession } from '../application/client/client-session';
import { Logger } from '../application/ports/logger';
import { ServerState } from '../application/server/server-state';
import { ClientIdentity } from '../application/settings';
import type { Address } from '../domain/address';
import type { DatagramLink } from '../adapters/wire/link/datagram-link';
import { clientLinkPolicy, serverLinkPolicy, type RefusedServerKey } from '../adapters/wire/link/link-policies';
import { HANDSHAKE_LIMITS, SecureLink, type HandshakeLimits } from '../adapters/wire/link/secure-link';
import type { ServerPins } from '../adapters/wire/link/server-pins';
import { staticKeyPairFromPem, type StaticKeyPair } from '../adapters/wire/noise/noise-xx';
import { fastestChaCha20Poly1305, loadedChaCha20Poly1305 } from '../adapters/wire/chacha20-poly1305';

/** The node's secure link, for the transport modules (absent: the transport sends plain frames). */
export const Link: ServiceIdentifier<DatagramLink> = Symbol('DatagramLink');

/** A server instance's link under its own key pair (shared by the instances of one system). */
export function serverLinkModule(serverKey: StaticKeyPair): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(Link)
      .toDynamicValue((ctx) => {
        const logger = ctx.get(Logger);
        // Resolved at its first use (the state is made after the transport that holds the link), then kept.
        let resolved: ServerState | undefined;
        const state = (): ServerState => (resolved ??= ctx.get(ServerState));
        return new SecureLink({ logger, identity: () => serverKey, policy: serverLinkPolicy((peer) => state().keysAt(peer)), aead: fastestChaCha20Poly1305 });
      })
      .inSingletonScope();
  });
}

/** First handshake messages a client answers: per source as a server does, 50/s in all. */
const CLIENT_HANDSHAKE_LIMITS: HandshakeLimits = { ...HANDSHAKE_LIMITS, overall: { ratePerSecond: 50, burst: 50 } };

/**
 * A client's link under its name's identity key (loaded at its first registration), with the
 * instances of its server's system, whose keys are pinned in `pins`.
 */
export function clientLinkModule(pins: ServerPins, options: { acceptNewServerKey?: boolean; onRefused?: (refusal: RefusedServerKey) => void } = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(Link)
      .toDynamicValue((ctx) => {
        const logger = ctx.get(Logger);
        // Resolved at its first use, then kept: the policy asks on every datagram to or from the server.
        let resolved: ClientSession | undefined;
        const session = (): ClientSession => (resolved ??= ctx.get(ClientSession));
        let start: Address | undefined;
        let cached: { pem: string; pair: StaticKeyPair } | undefined;
        const identity = (): StaticKeyPair | undefined => {
          const pem = session().identity?.privateKey;
          if (pem === undefined) return undefined;
          if (cached?.pem !== pem) cached = { pem, pair: staticKeyPairFromPem(pem) };
          return cached.pair;
        };
        const policy = clientLinkPolicy({
          knows: (peer) => session().instances.knows(peer),
          // The address the client was started with (the session's server changes on a move).
          startServer: () => (start ??= ctx.get(ClientIdentity).server),
          pins,
          acceptNew: options.acceptNewServerKey === true,
          logger,
          ...(options.onRefused ? { onRefused: options.onRefused } : {}),
        });
        // Any address may begin a handshake with a client (an instance it has not heard of yet),
        // so a flood of them is held to what a client's few instances could need.
        return new SecureLink({ logger, identity, policy, aead: loadedChaCha20Poly1305, handshakeLimits: CLIENT_HANDSHAKE_LIMITS });
      })
      .inSingletonScope();
  });
}

/** The link bound in the container, as transport options (`{}` when there is none). */
export function linkOf(ctx: ResolutionContext): { link?: DatagramLink } {
  const link = ctx.get(Link, { optional: true });
  return link ? { link } : {};
}
