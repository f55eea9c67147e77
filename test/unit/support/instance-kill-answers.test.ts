import { expect } from 'chai';
import { commandAnswer } from '../../support/instance-kill-run';

const ACK = '>>> [Message received by Server.]';
const MEMBER_FULL = '>>> [Error: the mailbox of r is full; r will not get this message.]';
const NO_ACK = '>>> [No ACK from r, message sent to server.]';
const SAVED = '>>> [Messages received by the server and saved]';
const SAVE_REFUSED = ">>> [Error: the server's mailbox for r is full; the message was not saved.]";

describe("support: the instance-kill check's answer to each command", () => {
  // A `send_all` ACKed, then the notice about r's copy in a later write: by then the save after
  // it was typed, at `from`. The notice must not answer the save, whose own line comes later.
  const lines = ['>>> [Client table updated.]', ACK, MEMBER_FULL, NO_ACK, SAVED];

  it('a save is answered by its own line, past the notice a send_all before it printed late', () => {
    expect(commandAnswer(lines, 2, false)).to.deep.equal({ index: 4, acked: true });
  });

  it('a save refused for a full mailbox is not ACKed, whatever the lines before it', () => {
    expect(commandAnswer(['>>> [Client table updated.]', ACK, MEMBER_FULL, NO_ACK, SAVE_REFUSED, SAVED], 2, false)).to.deep.equal({ index: 4, acked: false });
  });

  it("a send_all is answered by the server's ACK or its silence, never by a save's lines", () => {
    expect(commandAnswer(lines, 0, true)).to.deep.equal({ index: 1, acked: true });
    expect(commandAnswer([SAVED, '>>> [Server not responding.]'], 0, true)).to.deep.equal({ index: 1, acked: false });
    expect(commandAnswer([MEMBER_FULL], 0, true)).to.equal(undefined);
  });

  it('nothing yet: undefined', () => {
    expect(commandAnswer([NO_ACK], 0, false)).to.equal(undefined);
  });
});
