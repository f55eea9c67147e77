import { ContainerModule } from 'inversify';
import { Logger } from '../application/ports/logger';
import { Transport } from '../application/ports/transport';
import type { InMemoryNetwork } from '../adapters/in-memory/in-memory-network';
import { InMemoryTransport } from '../adapters/in-memory/in-memory-transport';
import type { NodeConfig } from './config';
import { linkOf } from './secure-link-module';

/** A transport on a shared in-memory network (many nodes, one process). */
export function inMemoryModule(network: InMemoryNetwork, config: NodeConfig): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(Transport)
      .toDynamicValue((ctx) => new InMemoryTransport(network, config.port, ctx.get(Logger), linkOf(ctx).link))
      .inSingletonScope();
  });
}
