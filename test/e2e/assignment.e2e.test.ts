import { expect } from 'chai';
import { runTestCaseOne, runTestCaseThree } from '../support/assignment-cases';
import { ChatAppProcess, freeUdpPort, useProcessPool } from '../support/chatapp-process';

const WELCOME = '>>> [Welcome, You are registered.]';
const TABLE = '>>> [Client table updated.]';

describe('e2e: the assignment test cases through real chatapp processes over UDP on 127.0.0.1', function () {
  this.timeout(30_000);

  const pool = useProcessPool();
  const start = (args: string[]): ChatAppProcess => pool.start(args);

  async function server(): Promise<{ proc: ChatAppProcess; port: number }> {
    const port = await freeUdpPort();
    const proc = start(['-s', String(port)]);
    const [line] = await proc.linesAfter(0, 1);
    expect(line).to.match(/^>>> \[Server listening on .*127\.0\.0\.1:\d+.*\]$/);
    return { proc, port };
  }

  async function client(name: string, serverPort: number): Promise<ChatAppProcess> {
    const proc = start(['-c', name, '127.0.0.1', String(serverPort), String(await freeUdpPort())]);
    expect(await proc.linesAfter(0, 2)).to.deep.equal([WELCOME, TABLE]);
    return proc;
  }

  async function next(proc: ChatAppProcess, action: () => void, count: number): Promise<string[]> {
    const mark = proc.lines.length;
    action();
    return proc.linesAfter(mark, count);
  }

  it('test case 1: three clients, six directions, dereg, offline messages, reg', async () => {
    const { port } = await server();
    await runTestCaseOne((name) => client(name, port));
  });

  it('test case 2: the server exits; x sends to the offline y: five tries, Server not responding, Exiting', async () => {
    const { proc: srv, port } = await server();
    const x = await client('x', port);
    const y = await client('y', port);
    expect(await next(y, () => y.type('dereg y'), 1)).to.deep.equal(['>>> [You are Offline. Bye.]']);
    // x's fourth line: the table with y offline, so x goes straight to the server.
    expect(await x.linesAfter(3, 1)).to.deep.equal([TABLE]);
    await srv.kill('SIGINT');
    const started = Date.now();
    expect(await next(x, () => x.type('send y hello'), 3)).to.deep.equal(['>>> [No ACK from y, message sent to server.]', '>>> [Server not responding]', '>>> [Exiting]']);
    expect(Date.now() - started).to.be.within(2400, 4500);
    expect(await x.waitForExit()).to.equal(1);
  });

  it('test case 3: send_all from x; x sees the server ACK, y and z the channel message', async () => {
    const { port } = await server();
    await runTestCaseThree((name) => client(name, port));
  });
});
