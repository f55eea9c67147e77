import dgram from 'node:dgram';
import { LOCALHOST } from './nodes';
import { nowMs } from './stats';

/**
 * The physical baselines: plain node:dgram sockets doing the same exchange as the app,
 * with no codec, no reliability layer and no application logic.
 */

export async function bindRaw(port = 0, bufferBytes?: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: 'udp4', ...(bufferBytes ? { recvBufferSize: bufferBytes, sendBufferSize: bufferBytes } : {}) });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, LOCALHOST, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

export function closeRaw(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/** Round trips of a `requestBytes` datagram answered by a `replyBytes` one; one sample per exchange (ms). */
export async function rawPingPong(count: number, requestBytes: number, replyBytes: number): Promise<number[]> {
  const a = await bindRaw();
  const b = await bindRaw();
  const request = Buffer.alloc(requestBytes, 0x61);
  const reply = Buffer.alloc(replyBytes, 0x62);
  b.on('message', (_data, rinfo) => b.send(reply, rinfo.port, rinfo.address));
  const samples: number[] = [];
  const bPort = b.address().port;
  for (let i = 0; i < count; i++) {
    const start = nowMs();
    await new Promise<void>((resolve) => {
      a.once('message', () => resolve());
      a.send(request, bPort, LOCALHOST);
    });
    samples.push(nowMs() - start);
  }
  await closeRaw(a);
  await closeRaw(b);
  return samples;
}

/**
 * One socket sends a `requestBytes` datagram to each of `receivers` sockets (all at once),
 * each answers with `replyBytes`; resolves with the ms until every answer is in.
 */
export class RawFanOut {
  private constructor(
    private readonly sender: dgram.Socket,
    private readonly receivers: dgram.Socket[],
  ) {}

  static async create(receivers: number): Promise<RawFanOut> {
    const sender = await bindRaw(0, 8 * 1024 * 1024);
    const sockets: dgram.Socket[] = [];
    for (let i = 0; i < receivers; i++) sockets.push(await bindRaw());
    return new RawFanOut(sender, sockets);
  }

  async run(requestBytes: number, replyBytes: number): Promise<number> {
    const request = Buffer.alloc(requestBytes, 0x61);
    const reply = Buffer.alloc(replyBytes, 0x62);
    for (const r of this.receivers) {
      r.removeAllListeners('message');
      r.on('message', (_data, rinfo) => r.send(reply, rinfo.port, rinfo.address));
    }
    let answered = 0;
    const start = nowMs();
    await new Promise<void>((resolve) => {
      this.sender.removeAllListeners('message');
      this.sender.on('message', () => {
        answered += 1;
        if (answered === this.receivers.length) resolve();
      });
      for (const r of this.receivers) this.sender.send(request, r.address().port, LOCALHOST);
    });
    return nowMs() - start;
  }

  async close(): Promise<void> {
    await closeRaw(this.sender);
    for (const r of this.receivers) await closeRaw(r);
  }
}

/**
 * One raw socket sends `count` datagrams of `bytes` bytes to `ports` in turn (on 127.0.0.1),
 * at most `window` awaiting their answer; resolves with the ms until every answer is in and
 * how many went unanswered (counted lost after a 500 ms stall).
 */
export async function rawTransfer(ports: readonly number[], count: number, bytes: number, window: number): Promise<{ ms: number; lost: number }> {
  const socket = await bindRaw(0, 8 * 1024 * 1024);
  const data = Buffer.alloc(Math.max(1, Math.round(bytes)), 0x61);
  data[0] = 0x52;
  let sent = 0;
  let answered = 0;
  let lost = 0;
  let lastProgress = nowMs();
  const start = nowMs();
  await new Promise<void>((resolve) => {
    const fill = (): void => {
      while (sent < count && sent - answered - lost < window) {
        socket.send(data, ports[sent % ports.length]!, LOCALHOST);
        sent += 1;
      }
    };
    const stall = setInterval(() => {
      if (nowMs() - lastProgress < 500) return;
      lost += sent - answered - lost;
      lastProgress = nowMs();
      fill();
      if (answered + lost >= count) {
        clearInterval(stall);
        resolve();
      }
    }, 100);
    socket.on('message', () => {
      answered += 1;
      lastProgress = nowMs();
      if (answered + lost >= count) {
        clearInterval(stall);
        resolve();
      } else fill();
    });
    fill();
  });
  const ms = nowMs() - start;
  await closeRaw(socket);
  return { ms, lost };
}

/** A UDP port free on 127.0.0.1 right now (bound, read, released). */
export async function freePort(): Promise<number> {
  const socket = await bindRaw();
  const { port } = socket.address();
  await closeRaw(socket);
  return port;
}
