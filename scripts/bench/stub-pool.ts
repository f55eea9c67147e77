import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { parentPort, Worker } from 'node:worker_threads';
import path from 'node:path';
import { TABLE_ACK_RUN, type Message } from '../../src/application/protocol/envelope';
import { decodeDatagram, encodeMessage } from '../../src/adapters/wire/envelope-codec';

/**
 * Thousands of lightweight clients in a worker thread (its own core): each is one UDP
 * socket that speaks the wire protocol just enough to be an online client — register and
 * confirm, ACK every server request, and track its table version the way ChatClient does
 * (whole tables by their parts, updates only on top of the version held, a gap asks for
 * the whole table) — without keeping the rows. They let the server be measured against
 * 10,000 real sockets without 10,000 copies of a 10,000-row table in one process.
 *
 * A datagram starting with `R` is the raw baseline: answered at once with a fixed reply.
 */

const PAD = '.'.repeat(600);
const RAW_REPLY = Buffer.alloc(41, 0x72);
const RETRY_MS = 500;
const TRIES = 5;

/** Epoch ms with sub-ms precision, comparable across threads. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

interface Stub {
  readonly socket: dgram.Socket;
  readonly port: number;
  name: string;
  token: string;
  version: number;
  versionAtMs: number;
  /** Deltas applied (update rounds seen). */
  deltas: number;
  fulls: number;
  gaps: number;
  /** Whole tables being assembled: key → parts received. */
  /** Multi-part updates being assembled: each part's id, the run held from part 0, the run last ACKed. */
  assembling: Map<string, { ids: Map<number, string>; run: number; acked: number }>;
  seen: Set<string>;
  /** Own requests awaiting an answer: id → retransmission timer. */
  pending: Map<string, { timer: ReturnType<typeof setTimeout>; onReply: (reply: Record<string, unknown>) => void }>;
  registeredAtMs: number;
  registerStartMs: number;
}

export interface PoolStatus {
  readonly count: number;
  readonly atLeast: number;
  readonly maxVersionAtMs: number;
  readonly minVersion: number;
  readonly received: number;
  readonly receivedBytes: number;
  readonly rawReceived: number;
  readonly registered: number;
  readonly lastRegisteredAtMs: number;
  readonly gaps: number;
  readonly deltasMax: number;
  readonly deltasSum: number;
  readonly fulls: number;
  /** Requests of the stubs (register, confirm, table request, dereg) left unanswered after every try. */
  readonly gaveUp: number;
  readonly gaveUpByType: Readonly<Record<string, number>>;
}

type Command =
  | { cmd: 'open'; count: number }
  | { cmd: 'server'; ip: string; port: number }
  | { cmd: 'seed'; from: number; to: number; version: number; names: string[]; tokens: string[] }
  | { cmd: 'register'; from: number; to: number; names: string[]; spacingMs: number }
  | { cmd: 'dereg'; index: number }
  | { cmd: 'status'; from: number; to: number; target: number }
  | { cmd: 'reset'; from: number; to: number }
  | { cmd: 'close' };

function runPool(): void {
  const port = parentPort!;
  const stubs: Stub[] = [];
  let server = { ip: '127.0.0.1', port: 0 };
  let received = 0;
  let receivedBytes = 0;
  let rawReceived = 0;
  let gaveUp = 0;
  /** The same, by request type. */
  const gaveUpByType: Record<string, number> = {};
  let ids = 0;
  const idBase = randomBytes(6).toString('base64url');
  const nextId = (): string => `${idBase}${(ids++).toString(36)}`;

  const send = (stub: Stub, message: Record<string, unknown>): void => {
    stub.socket.send(encodeMessage(message as unknown as Message), server.port, server.ip);
  };

  const request = (stub: Stub, message: Record<string, unknown> & { id: string }, onReply: (reply: Record<string, unknown>) => void): void => {
    let tries = 0;
    const transmit = (): void => {
      tries += 1;
      send(stub, message);
      // The retry acts after the datagrams already waiting are read (setImmediate runs after the
      // poll phase): in a thread that plays thousands of clients one turn of the event loop can
      // take longer than the retry interval, and a reply read only after the timer would count as lost.
      const timer = setTimeout(() => {
        setImmediate(() => {
          if (!stub.pending.has(message.id)) return;
          if (tries < TRIES) transmit();
          else {
            stub.pending.delete(message.id);
            gaveUp += 1;
            gaveUpByType[String(message['t'])] = (gaveUpByType[String(message['t'])] ?? 0) + 1;
          }
        });
      }, RETRY_MS);
      stub.pending.set(message.id, { timer, onReply });
    };
    transmit();
  };

  const ack = (stub: Stub, id: string, run = false): void => {
    stub.socket.send(encodeMessage(run ? { t: 'ack', re: id, status: 'run' } : { t: 'ack', re: id }), server.port, server.ip);
  };

  const onTable = (stub: Stub, m: { id: string; from: number; to: number; part: number; parts: number; full: boolean }): void => {
    const repeated = stub.seen.has(m.id);
    stub.seen.add(m.id);
    if (stub.seen.size > 4096) stub.seen.clear();
    // Protocol 9: the parts held in a row from part 0 are ACKed together (`run`, standing for
    // the parts before) every TABLE_ACK_RUN parts, at the last and when a part comes again; a
    // part past a gap on its own at once, with the run before the gap.
    let complete = m.parts === 1;
    if (complete) ack(stub, m.id);
    else {
      // One entry per push (`<push>_<part>`): a run ACK names an id of its own push.
      const key = `${m.id.slice(0, m.id.lastIndexOf('_'))}:${m.full ? 'f' : 'd'}:${m.from}:${m.to}:${m.parts}`;
      let got = stub.assembling.get(key);
      if (!got) {
        if (repeated) return ack(stub, m.id);
        stub.assembling.set(key, (got = { ids: new Map(), run: 0, acked: 0 }));
      }
      got.ids.set(m.part, m.id);
      while (got.ids.has(got.run)) got.run += 1;
      complete = got.ids.size === m.parts;
      const pastGap = m.part >= got.run;
      if (got.run > 0 && (complete || repeated || (pastGap && got.run > got.acked) || Math.floor(got.run / TABLE_ACK_RUN) > Math.floor(got.acked / TABLE_ACK_RUN))) {
        ack(stub, got.ids.get(got.run - 1)!, got.run > 1);
        got.acked = got.run;
      }
      if (pastGap) ack(stub, m.id);
      if (complete) stub.assembling.delete(key);
    }
    if (repeated || !complete) return;
    if (m.full) {
      if (m.to <= stub.version && stub.version !== 0) return;
      stub.fulls += 1;
    } else {
      if (m.to <= stub.version) return;
      if (m.from !== stub.version) {
        stub.gaps += 1;
        request(stub, { t: 'table-request', id: nextId(), token: stub.token, have: stub.version }, () => undefined);
        return;
      }
      stub.deltas += 1;
    }
    stub.version = m.to;
    stub.versionAtMs = epochMs();
  };

  const onMessage = (stub: Stub, data: Buffer, rinfo: dgram.RemoteInfo): void => {
    received += 1;
    receivedBytes += data.length;
    if (data[0] === 0x52) {
      rawReceived += 1;
      stub.socket.send(RAW_REPLY, rinfo.port, rinfo.address);
      return;
    }
    const decoded = decodeDatagram(data);
    if (!decoded.ok) return;
    const m = decoded.message as unknown as Record<string, unknown>;
    const t = m['t'];
    if (t === 'ack' || t === 'welcome' || t === 'refused') {
      const pending = stub.pending.get(m['re'] as string);
      if (!pending) return;
      clearTimeout(pending.timer);
      stub.pending.delete(m['re'] as string);
      pending.onReply(m);
      return;
    }
    if (typeof m['id'] !== 'string') return;
    if (t === 'table') return onTable(stub, m as never);
    ack(stub, m['id']);
  };

  const open = async (count: number): Promise<number[]> => {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 256 * 1024 });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, '127.0.0.1', () => {
          socket.off('error', reject);
          resolve();
        });
      });
      const stub: Stub = {
        socket,
        port: socket.address().port,
        name: '',
        token: '',
        version: 0,
        versionAtMs: 0,
        deltas: 0,
        fulls: 0,
        gaps: 0,
        assembling: new Map(),
        seen: new Set(),
        pending: new Map(),
        registeredAtMs: 0,
        registerStartMs: 0,
      };
      socket.on('message', (data, rinfo) => onMessage(stub, data, rinfo));
      socket.on('error', () => undefined);
      stubs.push(stub);
      ports.push(stub.port);
    }
    return ports;
  };

  const register = (stub: Stub): void => {
    stub.registerStartMs = epochMs();
    const secret = randomBytes(18).toString('base64url');
    // Any 32 bytes pass for the name's public key here: stubs never seal or open anything.
    const key = randomBytes(32).toString('base64url');
    request(stub, { t: 'register', id: nextId(), name: stub.name, secret, key, pad: PAD }, (welcome) => {
      if (welcome['t'] !== 'welcome') return;
      stub.token = welcome['token'] as string;
      request(stub, { t: 'confirm', id: nextId(), token: stub.token, have: stub.version }, () => {
        stub.registeredAtMs = epochMs();
      });
    });
  };

  port.on('message', (command: Command) => {
    void (async () => {
      switch (command.cmd) {
        case 'open':
          return port.postMessage({ ports: await open(command.count) });
        case 'server':
          server = { ip: command.ip, port: command.port };
          return port.postMessage({ ok: true });
        case 'seed':
          for (let i = command.from; i < command.to; i++) {
            const stub = stubs[i]!;
            stub.name = command.names[i - command.from]!;
            stub.token = command.tokens[i - command.from]!;
            stub.version = command.version;
            stub.versionAtMs = epochMs();
          }
          return port.postMessage({ ok: true });
        case 'register': {
          const started = epochMs();
          for (let i = command.from; i < command.to; i++) stubs[i]!.name = command.names[i - command.from]!;
          let i = command.from;
          // Spread over time: one registration every spacingMs on average, in small groups.
          await new Promise<void>((resolve) => {
            const tick = (): void => {
              const due = Math.min(command.to, command.from + Math.floor((epochMs() - started) / command.spacingMs) + 1);
              for (; i < due; i++) register(stubs[i]!);
              if (i < command.to) setTimeout(tick, 1);
              else resolve();
            };
            tick();
          });
          return port.postMessage({ startedMs: started, endedMs: epochMs() });
        }
        case 'dereg': {
          const stub = stubs[command.index]!;
          request(stub, { t: 'dereg', id: nextId(), token: stub.token, name: stub.name }, () => undefined);
          return port.postMessage({ ok: true });
        }
        case 'status': {
          let atLeast = 0;
          let maxAt = 0;
          let minVersion = Number.MAX_SAFE_INTEGER;
          let registered = 0;
          let lastRegistered = 0;
          let gaps = 0;
          let deltasMax = 0;
          let deltasSum = 0;
          let fulls = 0;
          for (let i = command.from; i < command.to; i++) {
            const s = stubs[i]!;
            if (s.version >= command.target) atLeast += 1;
            maxAt = Math.max(maxAt, s.versionAtMs);
            minVersion = Math.min(minVersion, s.version);
            if (s.registeredAtMs > 0) registered += 1;
            lastRegistered = Math.max(lastRegistered, s.registeredAtMs);
            gaps += s.gaps;
            deltasMax = Math.max(deltasMax, s.deltas);
            deltasSum += s.deltas;
            fulls += s.fulls;
          }
          const status: PoolStatus = {
            count: command.to - command.from,
            atLeast,
            maxVersionAtMs: maxAt,
            minVersion,
            received,
            receivedBytes,
            rawReceived,
            registered,
            lastRegisteredAtMs: lastRegistered,
            gaps,
            deltasMax,
            deltasSum,
            fulls,
            gaveUp,
            gaveUpByType,
          };
          return port.postMessage(status);
        }
        case 'reset':
          for (let i = command.from; i < command.to; i++) {
            stubs[i]!.deltas = 0;
            stubs[i]!.fulls = 0;
            stubs[i]!.gaps = 0;
          }
          return port.postMessage({ ok: true });
        case 'close':
          for (const s of stubs) {
            for (const p of s.pending.values()) clearTimeout(p.timer);
            s.socket.close();
          }
          return port.postMessage({ ok: true });
      }
    })();
  });
}

/** The main thread's handle on a pool of stub clients in a worker. */
export class StubPool {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly worker: Worker) {}

  static start(): StubPool {
    const code = `require('ts-node').register({ transpileOnly: true }); require(${JSON.stringify(path.join(__dirname, 'stub-pool.ts'))}).runStubPoolWorker();`;
    const worker = new Worker(code, { eval: true });
    worker.unref();
    return new StubPool(worker);
  }

  /** Send a command and wait for its answer (one command at a time). */
  call<T>(command: Command): Promise<T> {
    const run = this.queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          const onError = (error: Error): void => reject(error);
          this.worker.once('error', onError);
          this.worker.once('message', (answer: T) => {
            this.worker.off('error', onError);
            resolve(answer);
          });
          this.worker.postMessage(command);
        }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  async open(count: number): Promise<number[]> {
    return (await this.call<{ ports: number[] }>({ cmd: 'open', count })).ports;
  }

  status(from: number, to: number, target: number): Promise<PoolStatus> {
    return this.call<PoolStatus>({ cmd: 'status', from, to, target });
  }

  async close(): Promise<void> {
    await this.call({ cmd: 'close' });
    await this.worker.terminate();
  }
}

export function runStubPoolWorker(): void {
  runPool();
}
