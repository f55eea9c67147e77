import { expect } from 'chai';
import { ChatAppProcess, freeUdpPort, useProcessPool } from '../support/chatapp-process';

describe('e2e: piped output is exactly the SPEC lines', function () {
  this.timeout(30_000);
  const pool = useProcessPool('chatapp-pipe-');

  it('a scripted session through the interactive $ start prints the golden transcript', async () => {
    const port = await freeUdpPort();
    const server = pool.start(['-s', String(port)]);
    await server.linesAfter(0, 1);
    const y = pool.start(['-c', 'y', '127.0.0.1', String(port), String(await freeUdpPort())]);
    await y.linesAfter(0, 2);

    // The seed's way: no arguments, then `ChatApp -c …` at the `$ ` prompt.
    const x = pool.spawn([], { CHATAPP_DATA_DIR: pool.dataDir });
    x.type(`ChatApp -c x 127.0.0.1 ${port} ${await freeUdpPort()}`);
    await x.linesAfter(0, 2);
    // y must know x (its table update) before x's message can be verified and shown.
    await y.linesAfter(2, 1);
    x.type('send y hello\tthere \u001b[31mred\u001b[0m');
    await x.waitFor('>>> [Message received by y.]');
    x.type('sned y typo');
    x.type('dereg y');
    x.type('send_all to everyone');
    x.type('send nobody hi');
    x.type('dereg x');
    x.type('send y while offline');
    x.endInput();
    expect(await x.waitForExit()).to.equal(0);
    expect(x.lines).to.deep.equal([
      '$ >>> [Welcome, You are registered.]',
      '>>> [Client table updated.]',
      '>>> [Message received by y.]',
      '>>> [Error: unknown command sned; did you mean send? (type help for the list).]',
      '>>> [Error: you are registered as x; use dereg x.]',
      '>>> [Message received by Server.]',
      '>>> [Error: no client named nobody in the table; use list to see the table.]',
      '>>> [You are Offline. Bye.]',
      '>>> [Error: you are offline; use reg x to log back in.]',
    ]);
    expect(await y.linesAfter(2, 3)).to.deep.equal([
      '>>> [Client table updated.]',
      '>>> x: hello\\tthere \\x1b[31mred\\x1b[0m',
      '>>> [Channel_Message x: to everyone]',
    ]);
  });
});
