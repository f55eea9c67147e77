/** Base class of the expected failures of the rules; `code` is a stable kebab-case key. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
}

export class InvalidNameError extends DomainError {
  readonly code = 'invalid-name';
}

export class MessageTooLongError extends DomainError {
  readonly code = 'message-too-long';
  constructor(readonly bytes: number, readonly limitBytes: number) {
    super(`message is ${bytes} bytes; the limit is ${limitBytes}`);
  }
}

export class EmptyMessageError extends DomainError {
  readonly code = 'empty-message';
  constructor() {
    super('the message is empty');
  }
}

export class MailboxFullError extends DomainError {
  readonly code = 'mailbox-full';
  constructor(readonly recipient: string) {
    super(`the mailbox of ${recipient} is full`);
  }
}
