import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsChannelLog } from '../../../../../src/adapters/fs/fs-channel-log';
import { FsMailboxStore } from '../../../../../src/adapters/fs/fs-mailbox-store';
import { NodeFileSystem } from '../../../../../src/adapters/fs/file-system';
import { SystemClock } from '../../../../../src/adapters/system/system-clock';
import type { MessageOf, Reply } from '../../../../../src/application/protocol/envelope';
import { BackgroundTasks } from '../../../../../src/application/server/background-tasks';
import { DeliverOfflineMessages } from '../../../../../src/application/use-cases/server/deliver-offline-messages';
import { RelayChannelMessage } from '../../../../../src/application/use-cases/server/relay-channel-message';
import { StoreOfflineMessage } from '../../../../../src/application/use-cases/server/store-offline-message';
import { RecordingFileSystem } from '../../../../support/recording-file-system';
import { A, B, C, inbound, ServerRig } from './server-rig';

/** Captured before the rig fakes the timers: the disk is real, so waiting for it takes real time. */
const realSetTimeout = setTimeout;
const pause = (ms: number): Promise<void> => new Promise((resolve) => realSetTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await pause(1);
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

function mailboxFile(key: string): string {
  return `${createHash('sha256').update(key, 'utf8').digest('hex')}.log`;
}

/** Whether an fsync of `file` started after event `written` and ended before event `replied`. */
function fsyncBetween(events: readonly string[], file: string, written: number, replied: number): boolean {
  const started = events.findIndex((e, i) => i > written && i < replied && e === `sync-start ${file}`);
  return started >= 0 && events.some((e, i) => i > started && i < replied && e === `sync-end ${file}`);
}

/**
 * SPEC §3 "No save is ACKed before the message is durable on disk", at the use-case level: the
 * server's reply (the ACK the requester prints as saved / received by Server) is returned only
 * after the fsync of the record it acknowledges, on the real file stores over a spy of the
 * file-system port.
 */
describe('use case (server): every ACK of a save or send_all follows the fsync of its record', () => {
  let rig: ServerRig;
  let dir: string;
  let spy: RecordingFileSystem;
  let mailbox: FsMailboxStore;
  let channelLog: FsChannelLog;
  let aliceToken: string;
  let bobToken: string;

  beforeEach(async () => {
    rig = new ServerRig();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-ack-fsync-'));
    spy = new RecordingFileSystem(new NodeFileSystem());
    mailbox = new FsMailboxStore(dir, rig.settings.mailboxQuota, spy);
    channelLog = new FsChannelLog(dir, spy);
    aliceToken = await rig.online('alice', A);
    bobToken = await rig.online('bob', B);
    await rig.online('carol', C);
    await rig.offline('bob', B, bobToken);
  });

  afterEach(async () => {
    spy.releaseSyncs();
    await mailbox.close();
    await channelLog.close();
    expect(await rig.stop(), 'timers left').to.equal(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const storeOffline = (): StoreOfflineMessage => new StoreOfflineMessage(rig.state, rig.probe, rig.markOffline, rig.broadcaster, mailbox, new SystemClock(), rig.container.get(DeliverOfflineMessages), rig.container.get(BackgroundTasks), rig.logger);
  const save = (id: string): MessageOf<'save'> => ({ t: 'save', id, token: aliceToken, from: 'alice', to: 'bob', sealed: `sealed${id}`.padEnd(40, 'x') });

  /** Run a request; note `replied <id>` in the spy's timeline when its reply comes back. */
  function track(id: string, reply: Promise<Reply | undefined>): { done: () => boolean; reply: Promise<Reply | undefined> } {
    let done = false;
    const tracked = reply.then((r) => {
      done = true;
      spy.note(`replied ${id} ${r && 'status' in r ? r.status : r?.t}`);
      return r;
    });
    return { done: () => done, reply: tracked };
  }

  it('a save for an offline recipient is answered saved only after the fsync of its mailbox record', async () => {
    const useCase = storeOffline();
    await useCase.execute(inbound(save('warm-up'), A));
    spy.holdSyncs();
    const first = track('m1', useCase.execute(inbound(save('m1'), A)));
    await waitFor(() => spy.events.includes(`append ${mailboxFile('bob')} m1`) && spy.events.some((e, i) => i > spy.events.indexOf(`append ${mailboxFile('bob')} m1`) && e.startsWith('sync-start')), 'the record write and its fsync');
    // A retry of the same save while the first copy's fsync is still under way waits for it too.
    const retry = track('m1-retry', useCase.execute(inbound(save('m1'), A)));
    await pause(30);
    expect(first.done() || retry.done(), 'a reply came while the fsync was held').to.equal(false);
    spy.releaseSyncs();
    expect(await first.reply).to.deep.equal({ t: 'ack', re: 'm1', status: 'saved' });
    expect(await retry.reply).to.deep.equal({ t: 'ack', re: 'm1', status: 'saved' });
    const e = spy.events;
    const written = e.indexOf(`append ${mailboxFile('bob')} m1`);
    for (const id of ['m1', 'm1-retry']) {
      expect(fsyncBetween(e, mailboxFile('bob'), written, e.indexOf(`replied ${id} saved`)), `${id}:\n${e.join('\n')}`).to.equal(true);
    }
  });

  it('the first save to a new mailbox is answered only after the directory fsync that makes its file durable', async () => {
    const reply = await track('m1', storeOffline().execute(inbound(save('m1'), A))).reply;
    expect(reply).to.deep.equal({ t: 'ack', re: 'm1', status: 'saved' });
    const e = spy.events;
    const opened = e.indexOf(`open append ${mailboxFile('bob')}`);
    const dirSynced = e.findIndex((x, i) => i > opened && x === 'syncDir mailboxes');
    expect(dirSynced, e.join('\n')).to.be.greaterThan(opened).and.lessThan(e.indexOf('replied m1 saved'));
    expect(fsyncBetween(e, mailboxFile('bob'), e.indexOf(`append ${mailboxFile('bob')} m1`), e.indexOf('replied m1 saved')), e.join('\n')).to.equal(true);
  });

  it('a send_all is ACKed only after the fsyncs of its channel-log record (online members) and mailbox record (offline ones)', async () => {
    const relay = new RelayChannelMessage(rig.state, rig.sender, rig.probe, rig.markOffline, mailbox, channelLog, new SystemClock(), rig.settings, rig.logger, rig.container.get(BackgroundTasks), rig.container.get(DeliverOfflineMessages));
    await channelLog.pending();
    spy.holdSyncs();
    const sendAll: MessageOf<'send-all'> = { t: 'send-all', id: 'ch1', token: aliceToken, from: 'alice', text: 'to everyone' };
    const acked = track('ch1', relay.execute(inbound(sendAll, A)));
    await waitFor(() => spy.events.includes('append channel.log ch1') && spy.events.includes(`append ${mailboxFile('bob')} ch1`), 'both records written');
    await pause(30);
    expect(acked.done(), 'ACKed while the fsyncs were held').to.equal(false);
    expect(rig.transport.sent.filter((s) => s.message.t === 'channel'), 'pushed before durable').to.deep.equal([]);
    spy.releaseSyncs();
    expect(await acked.reply).to.deep.equal({ t: 'ack', re: 'ch1', status: 'ok' });
    const e = spy.events;
    const replied = e.indexOf('replied ch1 ok');
    expect(fsyncBetween(e, 'channel.log', e.indexOf('append channel.log ch1'), replied), e.join('\n')).to.equal(true);
    expect(fsyncBetween(e, mailboxFile('bob'), e.indexOf(`append ${mailboxFile('bob')} ch1`), replied), e.join('\n')).to.equal(true);
    await rig.clock.tickAsync(20);
    expect(rig.transport.sent.filter((s) => s.message.t === 'channel').map((s) => s.to.port)).to.deep.equal([C.port]);
    await waitFor(() => spy.count('append channel.log ch1') === 2, 'the delivery mark');
    expect(await channelLog.pending()).to.deep.equal([]);
  });
});
