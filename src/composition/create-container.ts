import 'reflect-metadata';
import { Container, type ContainerModule } from 'inversify';
import { ChatClient } from '../application/client/chat-client';
import { ClientInbound } from '../application/client/client-inbound';
import { PeerKeys } from '../application/client/peer-keys';
import { ClientSession } from '../application/client/client-session';
import { Failover } from '../application/client/failover';
import { ReliableSender } from '../application/reliable-sender';
import { ChatSettings, ClientIdentity } from '../application/settings';
import { WireSize } from '../application/ports/wire-size';
import { CodecWireSize } from '../adapters/wire/codec-wire-size';
import { ConfirmRegistration } from '../application/use-cases/client/confirm-registration';
import { Deregister } from '../application/use-cases/client/deregister';
import { LeaveOfflineMessage } from '../application/use-cases/client/leave-offline-message';
import { Register } from '../application/use-cases/client/register';
import { SendChannelMessage } from '../application/use-cases/client/send-channel-message';
import { SendDirectMessage } from '../application/use-cases/client/send-direct-message';
import type { NodeConfig } from './config';

/** The node's config, for modules that need it (ports, paths). */
export const NodeConfigToken = Symbol('NodeConfig');

const CLIENT_CLASSES = [
  ClientSession, PeerKeys, ClientInbound, ChatClient, Failover, Register, ConfirmRegistration, Deregister,
  SendDirectMessage, LeaveOfflineMessage, SendChannelMessage,
] as const;

/**
 * A fresh container for one node (server or client). The application is bound here; the
 * `modules` supply the ports (transport, stores, clock, crypto, view, logger), so the same
 * node runs over UDP with files, or over an in-memory network in one process with others.
 */
export function createContainer(config: NodeConfig, modules: readonly ContainerModule[]): Container {
  const container = new Container();
  container.bind(NodeConfigToken).toConstantValue(config);
  container.bind(ChatSettings).toConstantValue(config.settings);
  container.bind(ReliableSender).toSelf().inSingletonScope();
  // Every transport encodes with the one wire codec, so its sizes are the transports' sizes.
  container.bind(WireSize).toConstantValue(new CodecWireSize());
  // A server's classes are loaded only by a server: a client would pay their loading at start for nothing.
  const classes = config.role === 'server' ? (require('./server-classes') as typeof import('./server-classes')).SERVER_CLASSES : CLIENT_CLASSES;
  for (const cls of classes) container.bind<object>(cls).toSelf().inSingletonScope();
  if (config.role === 'client') container.bind(ClientIdentity).toConstantValue({ name: config.name, server: config.server, servers: config.servers ?? [] });
  container.load(...modules);
  return container;
}
