/**
 * An operation reached a store after its `close()` began (a delivery still running while the
 * server stops, say). Nothing was written; the caller drops the operation or retries it on the
 * store of the next run. `close()` itself waits for the operations that were already under way.
 */
export class StoreClosedError extends Error {
  readonly code = 'store-closed';

  constructor(store: string) {
    super(`${store} is closed`);
    this.name = 'StoreClosedError';
  }
}
