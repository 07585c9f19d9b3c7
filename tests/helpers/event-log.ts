// An append-only log of things that happen asynchronously (notifications, output lines, server→client
// requests) that a test can wait on: `waitFor` resolves on the first entry, from a mark on, that matches,
// and rejects with a message listing what was seen when the deadline passes. This is how the e2e tests
// synchronise: on events, never on sleeps.

export const DEFAULT_WAIT_MS = 20_000;

export interface WaitOptions<T> {
  /** Only entries at or after this index count (take it with `mark()` before causing the event). */
  readonly from?: number;
  readonly timeoutMs?: number;
  /** Shown in the timeout message. */
  readonly what?: string;
  readonly describe?: (entry: T) => string;
}

interface Waiter<T> {
  readonly from: number;
  readonly match: (entry: T) => boolean;
  readonly resolve: (entry: T) => void;
}

export class EventLog<T> {
  readonly #entries: T[] = [];
  readonly #waiters = new Set<Waiter<T>>();

  push(entry: T): void {
    const index = this.#entries.length;
    this.#entries.push(entry);
    for (const w of this.#waiters) {
      if (index >= w.from && w.match(entry)) {
        this.#waiters.delete(w);
        w.resolve(entry);
      }
    }
  }

  get entries(): readonly T[] {
    return this.#entries;
  }

  /** The index the next entry will get. */
  mark(): number {
    return this.#entries.length;
  }

  /** Entries from `from` on that match. */
  since(from: number, match: (entry: T) => boolean = () => true): T[] {
    return this.#entries.slice(from).filter(match);
  }

  waitFor(match: (entry: T) => boolean, options: WaitOptions<T> = {}): Promise<T> {
    const from = options.from ?? 0;
    const seen = this.#entries.slice(from).find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        const describe = options.describe ?? ((e: T) => JSON.stringify(e));
        const recent = this.#entries.slice(Math.max(from, this.#entries.length - 20)).map(describe);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${options.what ?? 'an event'}; ` +
              `recent entries:\n  ${recent.join('\n  ') || '(none)'}`,
          ),
        );
      }, timeoutMs);
      const waiter: Waiter<T> = {
        from,
        match,
        resolve: (entry) => {
          clearTimeout(timer);
          resolve(entry);
        },
      };
      this.#waiters.add(waiter);
    });
  }
}

/** Rejects when `promise` has not settled within `ms`; the deadline fails the test, it does not pace it. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
