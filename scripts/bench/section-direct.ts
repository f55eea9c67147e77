import { encodeMessage } from '../../src/adapters/wire/envelope-codec';
import { rawPingPong } from './raw-udp';
import { ClearEndToEnd } from './clear-end-to-end';
import { startBenchClient, startBenchServer, type BenchSetup } from './nodes';
import type { SectionResult } from './report';
import { nowMs, percentile, waitUntil } from './stats';

const TEXT = 'hello from the benchmark, one direct message';

/**
 * (1) A direct message: `send b …` typed at a's client until a has b's ACK, through the
 * real UDP adapter (codec, reliable sender, inbound router), against a raw node:dgram
 * ping-pong of datagrams of the same sizes. Blocks of each alternate so drift hits both.
 */
export async function benchDirect(setup: BenchSetup, options: { messages: number }): Promise<Omit<SectionResult, 'seconds'>> {
  const server = await startBenchServer(setup);
  const a = startBenchClient(setup, 'alice', server.address);
  const b = startBenchClient(setup, 'bob', server.address);
  // The same pair without the cryptography of a direct message, for its cost in this run.
  const clear = new ClearEndToEnd();
  const c = startBenchClient(setup, 'carol', server.address, { e2e: clear });
  const d = startBenchClient(setup, 'dave', server.address, { e2e: clear });
  if (!(await a.started) || !(await b.started) || !(await c.started) || !(await d.started)) throw new Error('clients did not register');
  await waitUntil(() => [a, b, c, d].every((n) => n.client.tableRows().length === 4), 5000, 'all tables');
  await server.sender.idle();
  const requestBytes = encodeMessage({ t: 'chat', id: 'AAAAAAAAAAAAAAAA', from: 'alice', to: 'bob', sealed: Buffer.alloc(Buffer.byteLength(TEXT) + 28).toString('base64url'), stream: 'AAAAAAAAAAAAAAAA', seq: 1000 }).length;
  const replyBytes = encodeMessage({ t: 'ack', re: 'AAAAAAAAAAAAAAAA' }).length;

  try {
    return await measure();
  } finally {
    await a.client.stop();
    await b.client.stop();
    await c.client.stop();
    await d.client.stop();
    await server.server.stop();
  }

  async function measure(): Promise<Omit<SectionResult, 'seconds'>> {
  const sendFrom = async (from: typeof a, to: string): Promise<number> => {
    const before = from.view.count('direct-acked');
    const start = nowMs();
    await from.client.submit({ kind: 'send', to, text: TEXT });
    const ms = nowMs() - start;
    if (from.view.count('direct-acked') !== before + 1) throw new Error(`a direct message was not ACKed: ${JSON.stringify([...from.view.counts])} ${JSON.stringify(from.client.tableRows())}`);
    return ms;
  };
  const send = (): Promise<number> => sendFrom(a, 'bob');
  const sendClear = (): Promise<number> => sendFrom(c, 'dave');
  // Warm up every path (JIT, socket buffers).
  for (let i = 0; i < 200; i++) await send();
  for (let i = 0; i < 200; i++) await sendClear();
  await rawPingPong(300, requestBytes, replyBytes);

  const app: number[] = [];
  const plain: number[] = [];
  const raw: number[] = [];
  let rawLost = 0;
  const blocks = 5;
  const per = Math.ceil(options.messages / blocks);
  for (let blk = 0; blk < blocks; blk++) {
    const block = await rawPingPong(per, requestBytes, replyBytes);
    raw.push(...block.samples);
    rawLost += block.lost;
    // Sealed and clear one after the other, message by message: whatever the process is doing
    // meanwhile (a collection, the compiler on its other thread) falls on both alike.
    for (let i = 0; i < per; i++) {
      app.push(await send());
      plain.push(await sendClear());
    }
  }
  if (b.view.count('direct-received') < app.length) throw new Error('bob did not show every message');
  const p50 = percentile(app, 50);
  const p99 = percentile(app, 99);
  const c50 = percentile(plain, 50);
  const r50 = percentile(raw, 50);
  const r99 = percentile(raw, 99);
  return {
    id: 1,
    tag: setup.tag,
    title: 'direct message send → ACK',
    setup: setup.label,
    rows: [
      { section: '1', figure: 'direct send→ACK p50', value: p50 * 1000, unit: 'µs', baseline: r50 * 1000, baselineLabel: 'dgram ping-pong p50', ratio: p50 / r50, target: '≤ 3× raw', met: p50 / r50 <= 3 },
      { section: '1', figure: 'direct send→ACK p99', value: p99 * 1000, unit: 'µs', baseline: r99 * 1000, baselineLabel: 'dgram ping-pong p99', ratio: p99 / r99 },
      { section: '1', figure: 'direct send→ACK p50, sealed vs not', value: p50 * 1000, unit: 'µs', baseline: c50 * 1000, baselineLabel: 'same, no cryptography', ratio: p50 / c50, target: '≤ 1.3×', met: p50 / c50 <= 1.3 },
    ],
    notes: [
      `${app.length} messages a→b one at a time through ChatClient.submit (server + 4 clients in one process, real UDP on 127.0.0.1); ` +
        `raw: ${raw.length} ping-pongs of ${requestBytes}/${replyBytes}-byte datagrams (same sizes as chat/ack), blocks interleaved.`,
      `sealed vs not: ${plain.length} messages c→d, each right after one a→b, whose clients do every step but the cryptography (same datagram sizes; the bench's ClearEndToEnd).`,
      rawLost === 0
        ? 'raw ping-pong: no raw datagram lost.'
        : `raw ping-pong: ${rawLost} exchange(s) lost (no answer in 500 ms); they are left out of the raw percentiles, so no wait for a lost datagram is in the baseline.`,
    ],
  };
}
}
