import { sealedTextsFor } from '../support/peer-keys';
import { expect } from 'chai';
import { InMemoryMailboxStore } from '../../src/adapters/in-memory/in-memory-mailbox-store';
import { Scenario } from '../support/scenario';

/** A mailbox whose removals take a while and that refuses work once closed, as a file store does. */
class SlowMailbox extends InMemoryMailboxStore {
  readonly events: string[] = [];
  private closed = false;

  override async remove(recipientKey: string, ids: readonly string[]): Promise<void> {
    this.events.push('remove started');
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (this.closed) throw new Error('mailbox store is closed');
    await super.remove(recipientKey, ids);
    this.events.push('remove done');
  }

  override async list(recipientKey: string): Promise<ReturnType<InMemoryMailboxStore['list']> extends Promise<infer T> ? T : never> {
    if (this.closed) throw new Error('mailbox store is closed');
    return super.list(recipientKey);
  }

  override async close(): Promise<void> {
    this.closed = true;
    this.events.push('closed');
  }
}

describe('scenario: a server stopping while it delivers stored messages', () => {
  let s: Scenario;
  beforeEach(() => {
    s = new Scenario();
  });
  afterEach(async () => {
    await s.stop();
  });

  it('lets the delivery finish before it closes the store: nothing touches a closed store, nothing is logged as failed', async () => {
    const mailbox = new SlowMailbox(s.settings.mailboxQuota);
    const server = await s.startServer({ mailbox });
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    void y.type('dereg y');
    await s.run(100);
    void x.type('send y hello');
    await s.run(1500);
    expect(sealedTextsFor(await mailbox.list('y'), ['hello']), 'kept sealed, unreadable by the server').to.equal(true);
    void y.type('reg y');
    await s.run(150);
    expect(mailbox.events).to.deep.equal(['remove started']);
    const stopped = server.server.stop();
    await s.run(1000);
    await stopped;
    expect(mailbox.events).to.deep.equal(['remove started', 'remove done', 'closed']);
    expect(y.lines.slice(-2)).to.deep.equal(['>>> [You have messages]', '>>> x: 2026-11-23 12:00:00 hello']);
    expect(server.logger.entries.filter((e) => e.level === 'error')).to.deep.equal([]);
  });
});
