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

  kill(): void {
    try {
      this.run('kill-server');
    } catch {
      // already gone
    }
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
    tmux.kill();
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
});
