import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatAppProcess, freeUdpPort } from '../support/chatapp-process';

const BIN = path.resolve(__dirname, '../../bin/chatapp.js');

/** A tmux session on its own socket, so the test never touches a user's tmux server. */
class Tmux {
  private readonly socket = `chatapp-test-${process.pid}-${Date.now()}`;

  run(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  screen(target: string): string {
    return this.run('capture-pane', '-p', '-t', target);
  }

  /** The processes in the panes (the clients: `env` execs node). */
  panePids(): number[] {
    try {
      return this.run('list-panes', '-a', '-F', '#{pane_pid}')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map(Number);
    } catch {
      return [];
    }
  }

  kill(): void {
    try {
      this.run('kill-server');
    } catch {
      // already gone
    }
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('e2e: the client in a real terminal (tmux)', function () {
  this.timeout(30_000);
  let dataDir: string;
  let tmux: Tmux;
  let server: ChatAppProcess | undefined;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-tty-'));
    tmux = new Tmux();
  });
  afterEach(async () => {
    const clients = tmux.panePids();
    tmux.kill();
    // A client ends after its terminal goes and may still write its log then: wait for it
    // before removing the directory it writes in.
    await until(() => !clients.some(running), 'the clients to end');
    await server?.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a message arriving while the user types is printed above; the half-typed line survives', async () => {
    const port = await freeUdpPort();
    server = new ChatAppProcess(['-s', String(port), '--data-dir', dataDir]);
    await server.linesAfter(0, 1);
    const client = (name: string, clientPort: number): string =>
      `env NO_COLOR=1 TERM=xterm-256color ${process.execPath} ${BIN} -c ${name} 127.0.0.1 ${port} ${clientPort} --data-dir ${dataDir}`;
    tmux.run('new-session', '-d', '-s', 'x', '-x', '120', '-y', '20', client('x', await freeUdpPort()));
    await until(() => tmux.screen('x').includes('>>> [Client table updated.]'), 'x registered');
    tmux.run('new-session', '-d', '-s', 'y', '-x', '120', '-y', '20', client('y', await freeUdpPort()));
    await until(() => tmux.screen('y').includes('>>> [Client table updated.]'), 'y registered');
    await until(() => tmux.screen('x').split('\n').filter((l) => l.includes('[Client table updated.]')).length >= 2, 'x sees y');

    tmux.run('send-keys', '-t', 'x', '-l', 'send y half-typ');
    await until(() => tmux.screen('x').includes('>>> send y half-typ'), 'typed text shown');
    tmux.run('send-keys', '-t', 'y', '-l', 'send x hello from y');
    tmux.run('send-keys', '-t', 'y', 'Enter');
    await until(() => tmux.screen('x').includes('>>> y: hello from y'), 'message shown at x');
    const screen = tmux.screen('x').split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
    expect(screen.at(-2)).to.equal('>>> y: hello from y');
    expect(screen.at(-1)).to.equal('>>> send y half-typ');

    tmux.run('send-keys', '-t', 'x', '-l', 'ed');
    tmux.run('send-keys', '-t', 'x', 'Enter');
    await until(() => tmux.screen('y').includes('>>> x: half-typed'), 'completed message at y');
    await until(() => tmux.screen('x').includes('>>> [Message received by y.]'), 'ack at x');
  });

  it('the interactive start ($ prompt, then Chatapp -c …) is one console: single echo, history, Tab, redraw', async () => {
    const port = await freeUdpPort();
    server = new ChatAppProcess(['-s', String(port), '--data-dir', dataDir]);
    await server.linesAfter(0, 1);
    const env = `env NO_COLOR=1 TERM=xterm-256color CHATAPP_DATA_DIR=${dataDir}`;
    tmux.run('new-session', '-d', '-s', 'y', '-x', '120', '-y', '20', `${env} ${process.execPath} ${BIN} -c y 127.0.0.1 ${port} ${await freeUdpPort()}`);
    await until(() => tmux.screen('y').includes('>>> [Client table updated.]'), 'y registered');
    tmux.run('new-session', '-d', '-s', 'x', '-x', '120', '-y', '20', `${env} ${process.execPath} ${BIN}`);
    await until(() => tmux.screen('x').includes('$'), '$ prompt');
    tmux.run('send-keys', '-t', 'x', '-l', `Chatapp -c x 127.0.0.1 ${port} ${await freeUdpPort()}`);
    tmux.run('send-keys', '-t', 'x', 'Enter');
    await until(() => tmux.screen('x').includes('>>> [Client table updated.]'), 'x registered');
    await until(() => tmux.screen('y').split('\n').filter((l) => l.includes('[Client table updated.]')).length >= 2, 'y sees x');
    const rows = (): string[] => tmux.screen('x').split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');

    // Each typed key is echoed once.
    tmux.run('send-keys', '-t', 'x', '-l', 'send y first');
    await until(() => rows().at(-1) === '>>> send y first', `typed line echoed once (screen: ${JSON.stringify(rows())})`);
    tmux.run('send-keys', '-t', 'x', 'Enter');
    await until(() => tmux.screen('x').includes('>>> [Message received by y.]'), 'first message acked');
    expect(tmux.screen('y').split('\n').filter((l) => l.includes('>>> x: first'))).to.have.length(1);

    // Up recalls the last line (not ^[[A); Ctrl-U clears it again, nothing is sent.
    tmux.run('send-keys', '-t', 'x', 'Up');
    await until(() => rows().at(-1) === '>>> send y first', 'Up recalls the last line');
    expect(tmux.screen('x')).to.not.include('^[[A');
    tmux.run('send-keys', '-t', 'x', 'C-u');
    await until(() => rows().at(-1) === '>>>', 'line cleared');

    // Tab completes the command instead of inserting a tab.
    tmux.run('send-keys', '-t', 'x', '-l', 'dere');
    tmux.run('send-keys', '-t', 'x', 'Tab');
    await until(() => rows().at(-1) === '>>> dereg', `Tab completed dereg (screen: ${JSON.stringify(rows())})`);
    tmux.run('send-keys', '-t', 'x', 'C-u');
    await until(() => rows().at(-1) === '>>>', 'line cleared');
    tmux.run('send-keys', '-t', 'x', '-l', 'send y half-typ');
    await until(() => rows().at(-1) === '>>> send y half-typ', 'half-typed line');

    // A message arriving goes above; the half-typed line is redrawn below it.
    tmux.run('send-keys', '-t', 'y', '-l', 'send x hello from y');
    tmux.run('send-keys', '-t', 'y', 'Enter');
    await until(() => tmux.screen('x').includes('>>> y: hello from y'), 'message shown at x');
    expect(rows().slice(-2)).to.deep.equal(['>>> y: hello from y', '>>> send y half-typ']);
    tmux.run('send-keys', '-t', 'x', '-l', 'ed');
    tmux.run('send-keys', '-t', 'x', 'Enter');
    await until(() => tmux.screen('y').includes('>>> x: half-typed'), 'completed message at y');
  });
});
