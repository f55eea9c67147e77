/** Where a store lives in a contract suite: `open` gives a store on it (again later: a new process). */
export interface StoreLocation<S, A extends unknown[]> {
  open(...args: A): S;
  remove(): void;
}

/** What a suite gets from `useStoreLocation`. */
export interface StoreHarness<S, L> {
  /** Open a store on this test's location; it is closed after the test. */
  readonly open: L extends StoreLocation<S, infer A> ? (...args: A) => S : never;
  /** Close a store now (a process ending), so it is not closed again after the test. */
  close(store: S): Promise<void>;
  /** This test's location. */
  location(): L;
}

/**
 * For a contract suite, inside its `describe`: a fresh location before each test, and after
 * it every store the test opened is closed and the location removed.
 */
export function useStoreLocation<S extends { close(): Promise<void> }, A extends unknown[], L extends StoreLocation<S, A>>(
  newLocation: () => L,
): StoreHarness<S, L> {
  let current: L;
  let open: S[] = [];
  beforeEach(() => {
    current = newLocation();
    open = [];
  });
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    current.remove();
  });
  return {
    open: ((...args: A) => {
      const store = current.open(...args);
      open.push(store);
      return store;
    }) as StoreHarness<S, L>['open'],
    async close(store: S) {
      open = open.filter((s) => s !== store);
      await store.close();
    },
    location: () => current,
  };
}
