import { ContainerModule } from 'inversify';
import { Clock } from '../application/ports/clock';
import { Membership } from '../application/ports/membership';
import { TableFeed } from '../application/ports/table-feed';
import { ClusterOptions, ClusterSync } from '../application/server/cluster-sync';
import { InMemoryMembers, InMemoryMembership } from '../adapters/in-memory/in-memory-membership';
import { InMemorySharedTable, InMemoryTableFeed } from '../adapters/in-memory/in-memory-table-feed';

/** What the instances of one system share when they all run in one process (Redis's part). */
export interface InMemorySystem {
  readonly table: InMemorySharedTable;
  readonly members: InMemoryMembers;
}

export function newInMemorySystem(): InMemorySystem {
  return { table: new InMemorySharedTable(), members: new InMemoryMembers() };
}

/**
 * Makes a server one instance of `system`: several servers in one process, each loaded with
 * this module over one `InMemorySystem` (and the same mailbox and channel log, from
 * `memoryStoresModule`), form one chat system, as instances over one Redis do. Leases run on
 * the node's `Clock`, so fake timers drive heartbeats and expiry.
 */
export function memoryClusterModule(system: InMemorySystem, advertiseIp = '127.0.0.1'): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(Membership)
      .toDynamicValue((ctx) => new InMemoryMembership(ctx.get(Clock), system.members))
      .inSingletonScope();
    bind(TableFeed)
      .toDynamicValue((ctx) => InMemoryTableFeed.fencedBy(system.table, system.members, ctx.get(Clock)))
      .inSingletonScope();
    bind(ClusterOptions).toConstantValue({ advertiseIp } satisfies ClusterOptions);
    bind(ClusterSync).toSelf().inSingletonScope();
  });
}
