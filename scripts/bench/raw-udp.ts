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

/** How long a raw exchange may go unanswered before its datagram counts as lost. */
const RAW_LOSS_MS = 500;

/** Raw samples and how many raw datagrams went unanswered meanwhile (their waits are not in the samples). */
export interface RawSamples {
  readonly samples: number[];
  readonly lost: number;
}

/**
 * Round trips of a `requestBytes` datagram answered by a `replyBytes` one; one sample per
 * answered exchange (ms). Each request carries its sequence number, echoed in the answer, so a
 * late answer to a request counted lost (no answer in RAW_LOSS_MS) cannot end a later one; a
 * lost exchange gives no sample, so its wait is not in the baseline, and is counted.
 */
export async function rawPingPong(count: number, requestBytes: number, replyBytes: number): Promise<RawSamples> {
  const a = await bindRaw();
  const b = await bindRaw();
  const request = Buffer.alloc(Math.max(4, requestBytes), 0x61);
  const reply = Buffer.alloc(Math.max(4, replyBytes), 0x62);
  b.on('message', (data, rinfo) => {
    data.copy(reply, 0, 0, 4);
    b.send(reply, rinfo.port, rinfo.address);
  });
  const samples: number[] = [];
  let lost = 0;
  const bPort = b.address().port;
  try {
    for (let i = 0; i < count; i++) {
      request.writeUInt32BE(i, 0);
      const start = nowMs();
      const answered = await new Promise<boolean>((resolve) => {
        const onMessage = (data: Buffer): void => {
          if (data.length < 4 || data.readUInt32BE(0) !== i) return;
          finish(true);
        };
        const timer = setTimeout(() => finish(false), RAW_LOSS_MS);
        const finish = (ok: boolean): void => {
          clearTimeout(timer);
          a.off('message', onMessage);
          resolve(ok);
        };
        a.on('message', onMessage);
        a.send(request, bPort, LOCALHOST);
      });
      if (answered) samples.push(nowMs() - start);
      else lost += 1;
    }
  } finally {
    await closeRaw(a);
    await closeRaw(b);
  }
  return { samples, lost };
}

/**
 * One socket sends a `requestBytes` datagram to each of `receivers` sockets (all at once),
 * each answers with `replyBytes`; `run` resolves with the ms until every answer is in, or with
 * the count lost when some are still missing after RAW_LOSS_MS without progress.
 */
export class RawFanOut {
  private round = 0;

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

  async run(requestBytes: number, replyBytes: number): Promise<RawTransfer> {
    const round = ++this.round;
    const request = Buffer.alloc(Math.max(4, requestBytes), 0x61);
    request.writeUInt32BE(round, 0);
    for (const r of this.receivers) {
      const reply = Buffer.alloc(Math.max(4, replyBytes), 0x62);
      r.removeAllListeners('message');
      r.on('message', (data, rinfo) => {
        data.copy(reply, 0, 0, 4);
        r.send(reply, rinfo.port, rinfo.address);
      });
    }
    // Known before the clock starts: socket.address() is a getsockname(2) each time, which a
    // sender's loop does not make (the server sends to addresses it keeps).
    const ports = this.receivers.map((r) => r.address().port);
    let answered = 0;
    let lastProgress = nowMs();
    let stalledMs = 0;
    const start = nowMs();
    const lost = await new Promise<number>((resolve) => {
      const stall = setInterval(() => {
        if (nowMs() - lastProgress < RAW_LOSS_MS) return;
        clearInterval(stall);
        stalledMs = nowMs() - lastProgress;
        resolve(this.receivers.length - answered);
      }, 50);
      this.sender.removeAllListeners('message');
      this.sender.on('message', (data: Buffer) => {
        // An answer to an earlier round that was counted lost is not progress of this one.
        if (data.length < 4 || data.readUInt32BE(0) !== round) return;
        answered += 1;
        lastProgress = nowMs();
        if (answered === this.receivers.length) {
          clearInterval(stall);
          resolve(0);
        }
      });
      for (const port of ports) this.sender.send(request, port, LOCALHOST);
    });
    return { ms: nowMs() - start, lost, stalledMs };
  }

  async close(): Promise<void> {
    await closeRaw(this.sender);
    for (const r of this.receivers) await closeRaw(r);
  }
}

export interface RawTransfer {
  readonly ms: number;
  /** Datagrams unanswered after RAW_LOSS_MS without progress. */
  readonly lost: number;
  /** Of `ms`, the time spent waiting for answers that never came (from the last progress to the loss being declared). */
  readonly stalledMs: number;
}

/**
 * One raw socket sends `count` datagrams of `bytes` bytes to `ports` in turn (on 127.0.0.1),
 * at most `window` awaiting their answer; resolves with the ms until every answer is in, how
 * many went unanswered (counted lost after RAW_LOSS_MS without progress) and how long those
 * stalls took.
 */
export async function rawTransfer(ports: readonly number[], count: number, bytes: number, window: number): Promise<RawTransfer> {
  const socket = await bindRaw(0, 8 * 1024 * 1024);
  const data = Buffer.alloc(Math.max(1, Math.round(bytes)), 0x61);
  data[0] = 0x52;
  let sent = 0;
  let answered = 0;
  let lost = 0;
  let stalledMs = 0;
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
      const now = nowMs();
      if (now - lastProgress < RAW_LOSS_MS) return;
      stalledMs += now - lastProgress;
      lost += sent - answered - lost;
      lastProgress = now;
      fill();
      if (answered + lost >= count) {
        clearInterval(stall);
        resolve();
      }
    }, 100);
    socket.on('message', () => {
      // A late answer to a datagram already counted lost is not a new answer.
      if (answered + lost >= sent) return;
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
  return { ms, lost, stalledMs };
}

/** A raw baseline that lost no datagram, and what losses it took to get it. */
export interface CleanRaw {
  readonly ms: number;
  /** Raw datagrams lost over every try. */
  readonly lost: number;
  readonly tries: number;
  /** Set when every try lost datagrams: the stall time taken out of `ms` of the last try. */
  readonly stallExcludedMs?: number;
}

/**
 * A raw baseline must not be flattered (made slow) by a lost datagram's wait: a run that lost
 * any is run again, up to `tries` times; if each lost some, the last run's stall time is taken
 * out of its figure, and the result says so.
 */
export async function cleanRaw(run: () => Promise<RawTransfer>, tries = 3): Promise<CleanRaw> {
  let lost = 0;
  for (let t = 1; ; t++) {
    const r = await run();
    lost += r.lost;
    if (r.lost === 0) return { ms: r.ms, lost, tries: t };
    if (t >= tries) {
      return { ms: r.ms - r.stalledMs, lost, tries: t, stallExcludedMs: r.stalledMs };
    }
  }
}

/** A printed note on the raw baselines' losses (empty when none lost any). */
export function rawLossNote(what: string, raws: readonly CleanRaw[]): string | undefined {
  const lost = raws.reduce((n, r) => n + r.lost, 0);
  const retried = raws.reduce((n, r) => n + r.tries - 1, 0);
  const excluded = raws.filter((r) => r.stallExcludedMs !== undefined);
  if (lost === 0) return `${what}: no raw datagram lost.`;
  return (
    `${what}: ${lost} raw datagram(s) lost; ${retried} raw run(s) discarded and run again` +
    (excluded.length > 0 ? `; ${excluded.length} baseline(s) lost datagrams on every try, so their stall (${excluded.map((r) => `${r.stallExcludedMs!.toFixed(0)} ms`).join(', ')}) is excluded from the figure.` : '; the figures use runs that lost none.')
  );
}

/** A UDP port free on 127.0.0.1 right now (bound, read, released). */
export async function freePort(): Promise<number> {
  const socket = await bindRaw();
  const { port } = socket.address();
  await closeRaw(socket);
  return port;
}
