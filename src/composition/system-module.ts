import { ContainerModule } from 'inversify';
import { Clock } from '../application/ports/clock';
import { Crypto } from '../application/ports/crypto';
import { NodeCrypto } from '../adapters/system/node-crypto';
import { SystemClock } from '../adapters/system/system-clock';

/** Real time and the operating system's CSPRNG. */
export function systemModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(Clock).toConstantValue(new SystemClock());
    bind(Crypto).toConstantValue(new NodeCrypto());
  });
}
