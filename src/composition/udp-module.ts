import { ContainerModule } from 'inversify';
import { Logger } from '../application/ports/logger';
import { Transport } from '../application/ports/transport';
import { UdpTransport } from '../adapters/udp/udp-transport';
import type { NodeConfig } from './config';
import { linkOf } from './secure-link-module';

/** The real network: one UDP socket on the node's port. */
export function udpModule(config: NodeConfig): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(Transport)
      .toDynamicValue((ctx) => new UdpTransport({ port: config.port, ...(config.host ? { host: config.host } : {}), ...linkOf(ctx) }, ctx.get(Logger)))
      .inSingletonScope();
  });
}
