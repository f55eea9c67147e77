import { expect } from 'chai';
import type { Inbound } from '../../src/application/ports/transport';
import { InMemoryNetwork } from '../../src/adapters/in-memory/in-memory-network';
import { InMemoryTransport } from '../../src/adapters/in-memory/in-memory-transport';
import { UdpTransport } from '../../src/adapters/udp/udp-transport';
import { DatagramIntake } from '../../src/adapters/wire/datagram-intake';
import { encodeMessage } from '../../src/adapters/wire/envelope-codec';
import { DEFAULT_RATE_LIMIT, SourceRateLimiter } from '../../src/adapters/wire/rate-limiter';
import { TokenBucket } from '../../src/domain/token-bucket';
import { MemoryAttacker, UdpAttacker } from '../support/attacker';
import { sleep } from '../support/fuzz-run';
import { RecordingLogger } from '../support/recording-logger';

const ACK = encodeMessage({ t: 'ack', re: 'r1' });

describe('security: per-source rate limit', () => {
  describe('TokenBucket', () => {
    it('allows a burst, then the rate, never more than the burst after a long pause', () => {
      const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5 }, 0);
      expect(Array.from({ length: 7 }, () => bucket.tryTake(0))).to.deep.equal([true, true, true, true, true, false, false]);
      expect(bucket.tryTake(99)).to.equal(false);
      expect(bucket.tryTake(100)).to.equal(true);
      expect(bucket.available(1_000_000)).to.equal(5);
    });

    it('gives nothing for a clock that steps backwards', () => {
      const bucket = new TokenBucket({ ratePerSecond: 1000, burst: 1 }, 10_000);
      expect(bucket.tryTake(10_000)).to.equal(true);
      expect(bucket.tryTake(0)).to.equal(false);
      expect(bucket.tryTake(10_000)).to.equal(false);
      expect(bucket.tryTake(10_001)).to.equal(true);
    });
  });

  describe('SourceRateLimiter', () => {
    it('limits each source on its own: one flooding source does not spend another one\'s tokens', () => {
      const limiter = new SourceRateLimiter({ ratePerSecond: 100, burst: 10, maxSources: 100 });
      const flooder = { ip: '127.0.0.1', port: 1 };
      const normal = { ip: '127.0.0.1', port: 2 };
      let allowed = 0;
      for (let i = 0; i < 10_000; i++) if (limiter.allow(flooder, 0)) allowed += 1;
      expect(allowed).to.equal(10);
      expect(limiter.allow(normal, 0)).to.equal(true);
      expect(limiter.stats).to.deep.equal({ allowed: 11, limited: 9990, evicted: 0 });
    });

    it('keeps its table within maxSources under a flood from 100,000 source ports; a regular peer is never limited', () => {
      const limiter = new SourceRateLimiter(DEFAULT_RATE_LIMIT);
      const peer = { ip: '127.0.0.1', port: 5000 };
      let peerLimited = 0;
      let maxSize = 0;
      for (let i = 0; i < 100_000; i++) {
        limiter.allow({ ip: `10.0.${(i >> 16) & 255}.${(i >> 8) & 255}`, port: 1024 + (i & 0xffff) }, i);
        if (i % 10 === 0 && !limiter.allow(peer, i)) peerLimited += 1;
        maxSize = Math.max(maxSize, limiter.size);
      }
      console.log(`      100,000 sources: table peaked at ${maxSize} entries (bound ${DEFAULT_RATE_LIMIT.maxSources}), evicted ${limiter.stats.evicted}, regular peer limited ${peerLimited} times`);
      expect(maxSize).to.equal(DEFAULT_RATE_LIMIT.maxSources);
      expect(limiter.stats.evicted).to.be.greaterThan(80_000);
      expect(peerLimited).to.equal(0);
    });

    it('refuses a policy that would let everything through or nothing', () => {
      expect(() => new SourceRateLimiter({ ratePerSecond: 0, burst: 1, maxSources: 1 })).to.throw(RangeError);
      expect(() => new SourceRateLimiter({ ratePerSecond: 1, burst: 0, maxSources: 1 })).to.throw(RangeError);
      expect(() => new SourceRateLimiter({ ratePerSecond: 1, burst: 1, maxSources: 0 })).to.throw(RangeError);
    });
  });

  describe('DatagramIntake', () => {
    it('drops and counts datagrams over the limit before decoding, with one warning per interval', () => {
      let now = 0;
      const logger = new RecordingLogger();
      const intake = new DatagramIntake(logger, { rateLimit: { ratePerSecond: 10, burst: 3 }, now: () => now });
      const from = { ip: '127.0.0.1', port: 7 };
      const results = [ACK, ACK, Buffer.from('garbage'), ACK, ACK].map((d) => intake.accept(d, from) !== undefined);
      expect(results).to.deep.equal([true, true, false, false, false]);
      expect(intake.stats).to.deep.equal({ accepted: 2, invalid: 1, rateLimited: 2, trackedSources: 1 });
      now = 100;
      expect(intake.accept(ACK, from)).to.not.equal(undefined);
      expect(logger.entries.filter((e) => e.message === 'dropped datagrams over their source rate limit')).to.have.length(1);
      expect(logger.entries.filter((e) => e.message === 'dropped invalid datagrams')).to.have.length(1);
    });

    it('never limits an exempt source, and can be turned off; the old one-argument constructor still works', () => {
      const server = { ip: '127.0.0.1', port: 5000 };
      const intake = new DatagramIntake(new RecordingLogger(), { rateLimit: { burst: 1, ratePerSecond: 1 }, exempt: [server], now: () => 0 });
      for (let i = 0; i < 100; i++) expect(intake.accept(ACK, server)).to.not.equal(undefined);
      const off = new DatagramIntake(new RecordingLogger(), { rateLimit: false });
      for (let i = 0; i < 5000; i++) expect(off.accept(ACK, server)).to.not.equal(undefined);
      expect(off.rateLimit).to.equal(undefined);
      expect(new DatagramIntake(new RecordingLogger()).rateLimit).to.deep.equal(DEFAULT_RATE_LIMIT);
    });
  });

  describe('both transports use it', () => {
    it('InMemoryTransport: a source sending 2 × burst at once is cut at the burst (plus what refills meanwhile); another source still gets through', async () => {
      const network = new InMemoryNetwork();
      const transport = new InMemoryTransport(network, 5000, new RecordingLogger());
      const got: Inbound[] = [];
      transport.onReceive((i) => got.push(i));
      const address = await transport.start();
      const flooder = new MemoryAttacker(network);
      const other = new MemoryAttacker(network);
      const started = Date.now();
      for (let i = 0; i < 2 * DEFAULT_RATE_LIMIT.burst; i++) flooder.send(address, ACK);
      other.send(address, ACK);
      await sleep(20);
      const seconds = (Date.now() - started) / 1000;
      const fromFlooder = got.filter((i) => i.from.port === flooder.address.port).length;
      const fromOther = got.filter((i) => i.from.port === other.address.port).length;
      await transport.close();
      network.close();
      expect(fromFlooder).to.be.within(DEFAULT_RATE_LIMIT.burst, DEFAULT_RATE_LIMIT.burst + DEFAULT_RATE_LIMIT.ratePerSecond * seconds);
      expect(fromOther).to.equal(1);
    });

    it('UdpTransport: what one socket gets through stays within burst + rate × time', async () => {
      const transport = new UdpTransport({ port: 0, host: '127.0.0.1' }, new RecordingLogger());
      let got = 0;
      transport.onReceive(() => {
        got += 1;
      });
      const address = await transport.start();
      const attacker = await UdpAttacker.open();
      const started = Date.now();
      try {
        for (let i = 0; i < 3 * DEFAULT_RATE_LIMIT.burst; i++) {
          await attacker.send({ ip: '127.0.0.1', port: address.port }, ACK);
          if (i % 200 === 199) await sleep(1);
        }
        await sleep(50);
      } finally {
        await attacker.close();
      }
      const seconds = (Date.now() - started) / 1000;
      const stats = (transport as unknown as { intake: DatagramIntake }).intake.stats;
      await transport.close();
      console.log(`      UDP: ${3 * DEFAULT_RATE_LIMIT.burst} datagrams in ${seconds.toFixed(2)} s from one socket: ${got} handled, ${stats.rateLimited} rate-limited`);
      expect(got).to.equal(stats.accepted);
      expect(got).to.be.at.most(DEFAULT_RATE_LIMIT.burst + DEFAULT_RATE_LIMIT.ratePerSecond * seconds);
      expect(stats.rateLimited).to.be.greaterThan(0);
    });
  });
});
