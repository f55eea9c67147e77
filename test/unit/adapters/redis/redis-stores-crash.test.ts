import { expect } from 'chai';
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { RedisChannelLog } from '../../../../src/adapters/redis/redis-channel-log';
import { RedisMailboxStore } from '../../../../src/adapters/redis/redis-mailbox-store';
import { RedisTableFeed } from '../../../../src/adapters/redis/redis-table-feed';
import type { AppendOutcome } from '../../../../src/application/ports/mailbox-store';
import type { TableRow } from '../../../../src/domain/client-table';
import type { StoredMessage } from '../../../../src/domain/offline-mailbox';
import { RedisServerProcess, requireRedisServer, uniquePrefix, type RedisServerOptions } from '../../../support/redis-server';

/** Appends in the stream the kill cuts: enough that most are surely unanswered. */
const STREAM_APPENDS = 300;
/** Appends awaiting their answer at once. */
const STREAM_SENDERS = 8;
/** The kill comes once this many of them were ACKed. */
const KILL_AFTER_ACKS = 60;

function row(name: string, port: number, online = true): TableRow {
  return { name, ip: '127.0.0.1', port, online };
}

function message(recipient: string, id: string): StoredMessage {
  return { id, recipient, sender: 'bob', kind: 'direct', storedAtMs: 1_700_000_000_000, text: `text of ${id} é 🎉` };
}

async function ready(client: Redis): Promise<void> {
  if (client.status === 'ready') return;
  await once(client, 'ready');
}

interface CrashRun {
  /** What was ACKed before the kill and is missing after the restart. */
  readonly lost: string[];
  /** Ids listed more than once in a mailbox after the restart. */
  readonly duplicated: string[];
  /** The streamed appends that were ACKed before the kill. */
  readonly streamAcked: string[];
  readonly streamIds: string[];
  readonly mailbox: RedisMailboxStore;
  readonly channel: RedisChannelLog;
  readonly prefix: string;
}

/**
 * Write through all three stores and await every ACK, then stream appends and SIGKILL the
 * server in the middle of them, restart it on the same dir, and list what was ACKed but is gone.
 * The same client reconnects, so the scripts also run again after Redis lost its script cache.
 */
async function crashAndRestart(server: RedisServerProcess, client: Redis): Promise<CrashRun> {
  const prefix = uniquePrefix('crash');
  // The shared table (the registry of the instances over this Redis).
  const table = new RedisTableFeed(client, prefix);
  await table.open();
  await table.claim(row('Alice', 6001), 'proof-alice', { token: 'token-alice-1', home: '' });
  await table.claim(row('bob', 6002), 'proof-bob', { token: 'token-bob', home: '' });
  await table.claim(row('alice', 6001, false), 'proof-alice', { token: 'token-alice-2', home: '' });

  const mailbox = new RedisMailboxStore(client, prefix);
  const tight = new RedisMailboxStore(client, prefix, { maxMessages: 1, maxBytes: 1_000 });
  for (let i = 0; i < 10; i++) expect(await mailbox.append(message('alice', `a${i}`))).to.equal('stored');
  await mailbox.remove('alice', ['a0', 'a5']);
  expect(await tight.append(message('carol', 'c1'))).to.equal('stored');
  for (const id of ['c2', 'c3', 'c4']) expect(await tight.append(message('carol', id))).to.equal('full');
  await tight.clearRefused('carol', 1);

  const channel = new RedisChannelLog(client, prefix);
  await channel.record({ id: 'e1', sender: 'Alice', text: 'to all', storedAtMs: 1_700_000_000_000, recipients: ['bob', 'carol', 'dave'] });
  await channel.delivered('e1', 'bob');

  const streamIds = Array.from({ length: STREAM_APPENDS }, (_, i) => `d${i}`);
  const streamAcked: string[] = [];
  const unexpected: string[] = [];
  let killing: Promise<void> | undefined;
  // A steady stream from a few senders, each sending its next append once the last is answered:
  // the kill then lands with most of the stream not yet sent, whatever the machine's speed (all
  // sent at once, a fast Redis could answer every one before the signal arrives). Unanswered
  // appends reject (the connection dropped): their senders were not ACKed.
  const queue = [...streamIds];
  const sender = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const outcome = await mailbox.append(message('dave', id));
      if (outcome !== 'stored') unexpected.push(`${id}: ${outcome}`);
      streamAcked.push(id);
      if (streamAcked.length === KILL_AFTER_ACKS) killing = server.kill();
    }
  };
  await Promise.allSettled(Array.from({ length: STREAM_SENDERS }, sender));
  await killing;
  expect(unexpected).to.deep.equal([]);
  expect(server.isRunning).to.equal(false);
  await server.restart();
  await ready(client);

  const lost: string[] = [];
  const duplicated: string[] = [];
  // The shared table, read afresh: rows, owners and sessions, and the version counter.
  const snapshot = await table.snapshot();
  await table.close();
  const byName = new Map(snapshot.rows.map((r) => [r.name.toLowerCase(), r]));
  if (JSON.stringify(byName.get('alice')) !== JSON.stringify(row('alice', 6001, false))) lost.push('table row alice');
  if (JSON.stringify(byName.get('bob')) !== JSON.stringify(row('bob', 6002))) lost.push('table row bob');
  if (JSON.stringify(snapshot.sessions.get('alice')) !== JSON.stringify({ owner: 'proof-alice', token: 'token-alice-2', home: '' })) lost.push('session of alice');
  if (snapshot.version !== 3) lost.push('table version 3');

  const listedIds = async (key: string): Promise<string[]> => (await mailbox.list(key)).map((m) => m.id);
  const alice = await listedIds('alice');
  for (const id of ['a1', 'a2', 'a3', 'a4', 'a6', 'a7', 'a8', 'a9']) if (!alice.includes(id)) lost.push(`mailbox alice ${id}`);
  for (const id of ['a0', 'a5']) if (alice.includes(id)) lost.push(`removal of alice ${id}`);
  if (JSON.stringify(await listedIds('carol')) !== '["c1"]') lost.push('mailbox carol c1');
  if ((await mailbox.refused('carol')) !== 2) lost.push('refused count of carol');
  const dave = await listedIds('dave');
  for (const id of streamAcked) if (!dave.includes(id)) lost.push(`mailbox dave ${id}`);
  for (const [key, ids] of [['alice', alice], ['dave', dave]] as const) {
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) duplicated.push(`${key} ${id}`);
      seen.add(id);
    }
  }
  const owed = await channel.pending();
  if (JSON.stringify(owed.map((p) => [p.entry.id, p.recipients])) !== '[["e1",["carol","dave"]]]') lost.push('channel e1 owed to carol and dave');
  await tight.close();
  return { lost, duplicated, streamAcked, streamIds, mailbox, channel, prefix };
}

describe('Redis stores: a redis-server killed with SIGKILL and restarted on the same dir', function () {
  this.timeout(60_000);
  let server: RedisServerProcess | undefined;
  let client: Redis | undefined;

  async function startWith(options: RedisServerOptions): Promise<void> {
    server = await RedisServerProcess.start(options);
    client = await server.connect();
  }

  before(() => requireRedisServer());

  afterEach(async () => {
    if (client) await client.quit().catch(() => client!.disconnect());
    await server?.stop();
    client = undefined;
    server = undefined;
  });

  it('keeps everything it ACKed with appendonly yes and appendfsync always, each once, and a retry changes nothing', async () => {
    await startWith({ appendonly: 'yes', appendfsync: 'always' });
    const run = await crashAndRestart(server!, client!);
    expect(run.lost, server!.logTail()).to.deep.equal([]);
    expect(run.duplicated).to.deep.equal([]);
    expect(run.streamAcked.length).to.be.at.least(KILL_AFTER_ACKS);
    expect(run.streamAcked.length, 'the kill should have cut the stream of appends').to.be.below(STREAM_APPENDS);

    // The senders retry every save with its id: the ACKed ones are duplicates, the rest stored once.
    const outcomes = new Map<string, AppendOutcome>();
    for (const id of run.streamIds) outcomes.set(id, await run.mailbox.append(message('dave', id)));
    for (const id of run.streamAcked) expect(outcomes.get(id), id).to.equal('duplicate');
    const listed = await run.mailbox.list('dave');
    expect(listed.map((m) => m.id).sort()).to.deep.equal([...run.streamIds].sort());
    const seqs = listed.map((m) => m.seq);
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).to.equal(seqs.length);
    await run.mailbox.close();
    await run.channel.close();
  });

  it('can see a loss: the same run against a Redis without the append-only file loses what it ACKed (negative control)', async () => {
    await startWith({ appendonly: 'no', appendfsync: 'everysec' });
    const run = await crashAndRestart(server!, client!);
    expect(run.lost).to.include('table row alice');
    expect(run.lost).to.include('mailbox alice a1');
    expect(run.lost).to.include('refused count of carol');
    expect(run.lost).to.include('channel e1 owed to carol and dave');
    expect(run.lost).to.include(`mailbox dave ${run.streamAcked[0]}`);
    await run.mailbox.close();
    await run.channel.close();
  });
});
