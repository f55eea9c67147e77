import { ContainerModule } from 'inversify';
import { ChatView } from '../application/ports/chat-view';
import { Logger } from '../application/ports/logger';
import { ConsoleView } from '../adapters/console/console-view';
import type { LineStyle } from '../adapters/console/console-ui';

/** The console as the node's view, and the operational logger. */
export function consoleModule(sink: { print(line: string, style?: LineStyle): void }, logger: Logger): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(ChatView).toConstantValue(new ConsoleView(sink));
    bind(Logger).toConstantValue(logger);
  });
}
