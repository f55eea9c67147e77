import { expect } from 'chai';
import { HANDSHAKE_LIMITS } from '../../src/adapters/wire/link/secure-link';
import type { Address } from '../../src/domain/address';
import { freshHello, MemoryAttacker } from '../support/attacker';
import { Scenario, SERVER_PORT } from '../support/scenario';

const SERVER: Address = { ip: '127.0.0.1', port: SERVER_PORT };
const FLOOD_PER_SECOND = 10_000;
const FLOOD_SECONDS = Number(process.env['FLOOD_SECONDS'] ?? 10);
const STEP_MS = 10;

describe('security: a flood from one source (in-memory network, simulated time)', () => {
  let s: Scenario;
  beforeEach(() => {
    s = new Scenario({ seed: 7 });
  });
  afterEach(async () => {
    await s.stop();
  });

  it(`${FLOOD_PER_SECOND} datagrams/s for ${FLOOD_SECONDS} s: replies to the flooder stay within the rate limit; other clients chat within 1 s`, async () => {
    await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    await s.run(1000);
    const flooder = new MemoryAttacker(s.network, { port: 6666 });
    // First handshake messages have their own, tighter limit (each costs three X25519 operations).
    const { ratePerSecond, burst } = HANDSHAKE_LIMITS.perSource;
    // Every flood datagram is a well-formed first handshake message with a fresh ephemeral key,
    // which the server answers (and pays for with three X25519 operations), so replies measure what got through.
    const perStep = (FLOOD_PER_SECOND * STEP_MS) / 1000;
    const steps = (FLOOD_SECONDS * 1000) / STEP_MS;
    const latenciesMs: number[] = [];
    const repliesAt: number[] = [];
    let n = 0;
    const floodStart = Date.now();
    for (let step = 0; step < steps; step++) {
      for (let i = 0; i < perStep; i++) {
        flooder.send(SERVER, freshHello());
        n += 1;
      }
      // Once a second, during the flood: x sends y a direct message and a channel message; time until y shows each.
      if (step % (1000 / STEP_MS) === 50) {
        const mark = y.lines.length;
        const sentAt = Date.now();
        void x.type(`send y direct during flood ${step}`);
        void x.type(`send_all channel during flood ${step}`);
        const seen = (text: string): boolean => y.lines.slice(mark).some((l) => l.includes(text));
        let waited = 0;
        while (!(seen(`direct during flood ${step}`) && seen(`channel during flood ${step}`)) && waited < 2000) {
          await s.run(1);
          waited += 1;
          repliesAt.push(flooder.received.datagrams);
        }
        latenciesMs.push(Date.now() - sentAt);
      }
      await s.run(STEP_MS);
      repliesAt.push(flooder.received.datagrams);
    }
    const floodSeconds = (Date.now() - floodStart) / 1000;
    await s.run(1000);
    const replies = flooder.received.datagrams;
    const bound = Math.floor(burst + ratePerSecond * floodSeconds);
    // After the burst is spent, the steady rate: replies in the last half of the flood.
    const half = Math.floor(repliesAt.length / 2);
    const steadyPerSecond = (repliesAt[repliesAt.length - 1]! - repliesAt[half]!) / (floodSeconds / 2);
    console.log(
      `      flood: ${flooder.sent.datagrams} datagrams from one source in ${FLOOD_SECONDS} s; replies ${replies} ` +
        `(bound: burst ${burst} + ${ratePerSecond}/s × ${floodSeconds.toFixed(3)} s = ${bound}); steady ${steadyPerSecond.toFixed(0)} replies/s ` +
        `(limit ${ratePerSecond}/s); x → y during the flood: ${latenciesMs.map((ms) => `${ms} ms`).join(', ')}`,
    );
    expect(replies).to.be.greaterThan(0);
    expect(replies).to.be.at.most(bound);
    expect(steadyPerSecond).to.be.at.most(ratePerSecond * 1.05);
    expect(latenciesMs).to.have.length(FLOOD_SECONDS);
    for (const ms of latenciesMs) expect(ms).to.be.below(1000);
    expect(x.lines.filter((l) => l === '>>> [Message received by y.]')).to.have.length(FLOOD_SECONDS);
    expect(x.lines.filter((l) => l === '>>> [Message received by Server.]')).to.have.length(FLOOD_SECONDS);
  });
});
