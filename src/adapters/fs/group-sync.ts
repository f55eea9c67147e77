import type { FileHandle } from './file-system';

/**
 * Group commit for one open file: writers that finished their write ask for a sync, and all
 * who ask while a sync is queued share it. A sync that is already running may have started
 * before a writer's bytes reached the file, so later requests wait for the next one: nobody
 * is told "durable" by an fsync that does not cover their bytes.
 */
export class GroupSync {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly handle: FileHandle) {}

  /** Resolves after an fsync that started after this call; rejects if that fsync failed. */
  request(): Promise<void> {
    if (this.queued) return this.queued;
    const before = this.running ?? Promise.resolve();
    const sync: Promise<void> = before.catch(() => undefined).then(() => {
      // From this instant the fsync may be under way: a new request needs a new one.
      this.queued = undefined;
      this.running = sync;
      return this.handle.sync();
    });
    this.queued = sync;
    const done = (): void => {
      if (this.running === sync) this.running = undefined;
    };
    sync.then(done, done);
    return sync;
  }

  /** Resolves once everything requested so far is synced. */
  flush(): Promise<void> {
    return this.queued ?? this.running ?? Promise.resolve();
  }
}
