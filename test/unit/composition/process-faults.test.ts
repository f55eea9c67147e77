import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import sinon from 'sinon';
import type { WinstonLogger } from '../../../src/adapters/logging/winston-logger';
import { EXIT_UNCAUGHT, ProcessFaults } from '../../../src/composition/process-faults';

function fakeProcess(): { proc: NodeJS.Process; exit: sinon.SinonStub; stderr: string[] } {
  const emitter = new EventEmitter();
  const stderr: string[] = [];
  const exit = sinon.stub();
  const proc = Object.assign(emitter, { exit, stderr: { write: (s: string) => stderr.push(s) } }) as unknown as NodeJS.Process;
  return { proc, exit, stderr };
}

function fakeLogger(): { logger: WinstonLogger; errors: Array<[string, Record<string, unknown> | undefined]> } {
  const errors: Array<[string, Record<string, unknown> | undefined]> = [];
  const logger = { error: (m: string, f?: Record<string, unknown>) => errors.push([m, f]), close: () => Promise.resolve() } as unknown as WinstonLogger;
  return { logger, errors };
}

describe('ProcessFaults (the process-level policy)', () => {
  it('logs an unhandled rejection and keeps the process running', () => {
    const { proc, exit } = fakeProcess();
    const { logger, errors } = fakeLogger();
    const faults = new ProcessFaults(proc);
    faults.install();
    faults.useLogger(logger);
    proc.emit('unhandledRejection', new Error('boom'), Promise.resolve());
    expect(errors).to.have.length(1);
    expect(errors[0]![0]).to.equal('unhandled rejection; the process keeps running');
    expect(errors[0]![1]).to.include({ error: 'boom' });
    expect(exit.called).to.equal(false);
  });

  it('before a logger exists, says it on stderr, still not fatal', () => {
    const { proc, exit, stderr } = fakeProcess();
    new ProcessFaults(proc).install();
    proc.emit('unhandledRejection', 'plain reason', Promise.resolve());
    expect(stderr.join('')).to.include('plain reason');
    expect(exit.called).to.equal(false);
  });

  it('logs an uncaught exception and ends the process with status 70 once the log is written', async () => {
    const { proc, exit, stderr } = fakeProcess();
    const { logger, errors } = fakeLogger();
    const faults = new ProcessFaults(proc);
    faults.install();
    faults.useLogger(logger);
    proc.emit('uncaughtException', new Error('thrown'));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(errors[0]![0]).to.equal('uncaught exception; the process ends');
    expect(stderr.join('')).to.include('thrown');
    expect(exit.calledWith(EXIT_UNCAUGHT)).to.equal(true);
  });
});
