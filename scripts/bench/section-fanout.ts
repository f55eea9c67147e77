import { encodeMessage } from '../../src/adapters/wire/envelope-codec';
import { cleanRaw, RawFanOut, rawLossNote, type CleanRaw } from './raw-udp';
import { startBenchClient, startBenchServer, type BenchClient, type BenchSetup } from './nodes';
import type { SectionResult } from './report';
import { median, nowMs, waitUntil } from './stats';

const TEXT = 'a channel message from the benchmark to every online client';

/**
 * (2) `send_all` to N online clients, all ChatClients in this process over real UDP: from
 * the sender's submit until every recipient showed the channel message and the server
 * holds every recipient's ACK. Baseline: one raw socket sending the same count of
 * same-sized datagrams to as many raw sockets, each answering, until every answer is in.
 */
export async function benchFanOut(setup: BenchSetup, options: { clients: number; rounds: number }): Promise<Omit<SectionResult, 'seconds'>> {
  const server = await startBenchServer(setup);
  const clients: BenchClient[] = [];
  const notes: string[] = [];
  const regStart = nowMs();
  try {
    // Registration in waves: each new client gets the whole table and the others an update.
    const wave = 100;
    for (let i = 0; i < options.clients; i += wave) {
      const batch: BenchClient[] = [];
      for (let j = i; j < Math.min(options.clients, i + wave); j++) batch.push(startBenchClient(setup, `c${String(j).padStart(4, '0')}`, server.address));
      // Listed before they are checked, so the clean-up below stops a wave that failed too.
      clients.push(...batch);
      const ok = await Promise.all(batch.map((c) => c.started));
      if (!ok.every(Boolean)) throw new Error(`a client failed to register: ${JSON.stringify(batch.filter((_, k) => !ok[k]).map((c) => [c.name, c.view.lastError, [...c.view.counts]]).slice(0, 3))} after ${i} clients`);
      // Every client, the server and its table pushes share this one thread: the next wave
      // starts once this one's pushes are ACKed, or its registrations would wait behind them
      // past the retry policy on a slow machine.
      await server.sender.idle();
    }
    await waitUntil(() => clients.every((c) => c.client.tableRows().length === options.clients), 120_000, 'every table to list every client', 250);
    await server.sender.idle();
    notes.push(`setup: ${options.clients} ChatClients registered in waves of 100 in ${((nowMs() - regStart) / 1000).toFixed(1)} s (each got the whole table, the others updates).`);

    const sender = clients[0]!;
    const recipients = clients.length - 1;
    let received = 0;
    for (const c of clients.slice(1)) {
      c.view.onEvent = (e) => {
        if (e.kind === 'channel-received') received += 1;
      };
    }
    const requestBytes = encodeMessage({ t: 'channel', id: 'AAAAAAAAAAAAAAAA', token: 'TTTTTTTTTTTTTTTT', from: sender.name, text: TEXT }).length;
    const replyBytes = encodeMessage({ t: 'ack', re: 'AAAAAAAAAAAAAAAA' }).length;
    const raw = await RawFanOut.create(recipients);
    const appAll: number[] = [];
    const appShown: number[] = [];
    const rawAll: number[] = [];
    const rawRuns: CleanRaw[] = [];
    try {
      await raw.run(requestBytes, replyBytes);
      for (let round = 0; round < options.rounds; round++) {
        const r = await cleanRaw(() => raw.run(requestBytes, replyBytes));
        rawRuns.push(r);
        rawAll.push(r.ms);
        received = 0;
        const start = nowMs();
        let shownAt = 0;
        const acked = sender.client.submit({ kind: 'send_all', text: TEXT });
        await waitUntil(() => received >= recipients, 20_000, 'every recipient to show the channel message', 0);
        shownAt = nowMs();
        await acked;
        await server.sender.idle();
        const end = nowMs();
        appShown.push(shownAt - start);
        appAll.push(end - start);
      }
    } finally {
      await raw.close();
    }
    const all = median(appAll);
    const shown = median(appShown);
    const base = median(rawAll);
    notes.push(
      `send_all from one client to ${recipients} recipients, median of ${options.rounds}; raw: one socket → ${recipients} sockets, ${requestBytes}-byte datagrams answered with ${replyBytes} bytes, all in this process.`,
    );
    notes.push(rawLossNote('raw fan-out', rawRuns)!);
    return {
      id: 2,
      tag: setup.tag,
      title: 'send_all fan-out',
      setup: setup.label,
      rows: [
        { section: '2', figure: `send_all → all ${recipients} shown + ACKed at server`, value: all, unit: 'ms', baseline: base, baselineLabel: `raw ${recipients} sends+answers`, ratio: all / base, target: '≤ 3× raw', met: all / base <= 3 },
        { section: '2', figure: `send_all → last of ${recipients} shown`, value: shown, unit: 'ms', baseline: base, baselineLabel: 'same raw', ratio: shown / base },
      ],
      notes,
    };
  } finally {
    for (const c of clients) await c.client.stop();
    await server.server.stop();
  }
}
