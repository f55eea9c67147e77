import { expect } from 'chai';
import type { AppendOutcome } from '../../src/application/ports/mailbox-store';
import type { StoredMessage } from '../../src/domain/offline-mailbox';
import { InMemoryMailboxStore } from '../../src/adapters/in-memory/in-memory-mailbox-store';
import { InMemorySecretStore } from '../../src/adapters/in-memory/in-memory-secret-store';
import { Scenario } from '../support/scenario';

/** A mailbox whose writes wait until released, as a slow disk or a busy Redis would. */
class HeldMailbox extends InMemoryMailboxStore {
  private held: Array<() => void> | undefined;

  hold(): void {
    this.held = [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const go of waiting) go();
  }

  override async append(message: StoredMessage): Promise<AppendOutcome> {
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    return super.append(message);
  }
}

/**
 * A message stored for a member while that member logs back in: the log-in's delivery of
 * stored messages may run before the write lands. The member still gets it at once, not at
 * its next log-in.
 */
describe('scenario: a message stored while its recipient comes back online', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.stop();
  });

  async function setUp(): Promise<{ mailbox: HeldMailbox; alice: Awaited<ReturnType<Scenario['startClient']>>; bob: Awaited<ReturnType<Scenario['startClient']>> }> {
    s = new Scenario();
    const mailbox = new HeldMailbox(s.settings.mailboxQuota);
    await s.startServer({ mailbox });
    const alice = await s.startClient('alice');
    const bob = await s.startClient('bob', { secrets: new InMemorySecretStore() });
    expect(await s.say(bob, 'dereg bob')).to.deep.equal(['>>> [You are Offline. Bye.]']);
    return { mailbox, alice, bob };
  }

  it('send_all: the channel copy is delivered as soon as it is stored', async () => {
    const { mailbox, alice, bob } = await setUp();
    mailbox.hold();
    const aliceMark = alice.lines.length;
    void alice.type('send_all hello all');
    await s.run(50);
    const mark = bob.lines.length;
    void bob.type('reg bob');
    await s.run(200);
    expect(bob.view.since(mark)).to.deep.equal(['>>> [Welcome, You are registered.]', '>>> [Client table updated.]']);
    mailbox.release();
    await s.run(200);
    expect(alice.view.since(aliceMark)).to.include('>>> [Message received by Server.]');
    expect(bob.view.since(mark).slice(2, 4)).to.deep.equal(['>>> [You have messages]', '>>> Channel_Message alice: 2026-11-23 12:00:00 hello all']);
  });

  it('save: the message is delivered as soon as it is stored', async () => {
    const { mailbox, alice, bob } = await setUp();
    mailbox.hold();
    void alice.type('send bob are you back');
    await s.run(50);
    const mark = bob.lines.length;
    void bob.type('reg bob');
    await s.run(200);
    mailbox.release();
    await s.run(200);
    expect(bob.view.since(mark).slice(2, 4)).to.deep.equal(['>>> [You have messages]', '>>> alice: 2026-11-23 12:00:00 are you back']);
  });
});
