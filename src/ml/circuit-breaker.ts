/**
 * A circuit breaker for a remote dependency (a vLLM scorer endpoint):
 *
 *   closed ──(N consecutive failures)──► open ──(cool-down elapsed)──► half-open
 *     ▲                                   ▲                               │
 *     └──────────── probe succeeds ───────┼───────────────────────────────┤
 *                                         └──────── probe fails ──────────┘
 *
 * While open, `run` fails at once with `SCORER_CIRCUIT_OPEN` instead of waiting on a dead server, so a
 * scorer stage fails in microseconds and `pipeline.on_stage_error` decides. In half-open exactly one
 * call (the probe) goes through; others fail fast until it settles. Time comes from an injectable
 * clock so tests drive the cool-down without sleeping.
 */
import { AgentwallError, ErrorCode } from '../core/errors.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Shown in the open-circuit error (e.g. the endpoint URL). */
  readonly name: string;
  /** Consecutive failures that open the circuit (default 5). */
  readonly failureThreshold?: number;
  /** How long the circuit stays open before one probe is let through, in ms (default 10 s). */
  readonly cooldownMs?: number;
  /** Which errors count against the dependency; others (e.g. a 4xx for a bad request) pass through. */
  readonly isFailure?: (err: unknown) => boolean;
  /** Milliseconds since some epoch; defaults to `Date.now`. */
  readonly now?: () => number;
}

export interface CircuitBreaker {
  readonly state: () => BreakerState;
  /** Runs `fn` unless the circuit is open; records its outcome. */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export function createCircuitBreaker(o: CircuitBreakerOptions): CircuitBreaker {
  const threshold = o.failureThreshold ?? 5;
  const cooldownMs = o.cooldownMs ?? 10_000;
  const now = o.now ?? Date.now;
  const isFailure = o.isFailure ?? (() => true);
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError('failureThreshold must be ≥ 1');
  if (!(cooldownMs >= 0)) throw new RangeError('cooldownMs must be ≥ 0');

  let state: BreakerState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let probing = false;

  function admit(): boolean {
    if (state === 'closed') return false;
    if (state === 'open' && now() - openedAt >= cooldownMs) state = 'half-open';
    if (state === 'half-open' && !probing) {
      probing = true;
      return true;
    }
    const retryInMs = Math.max(0, openedAt + cooldownMs - now());
    throw new AgentwallError(
      ErrorCode.SCORER_CIRCUIT_OPEN,
      `${o.name}: circuit open after ${failures} consecutive failures; next try in ${retryInMs} ms`,
      { data: { retry_in_ms: retryInMs } },
    );
  }

  function record(ok: boolean, isProbe: boolean): void {
    if (isProbe) probing = false;
    if (ok) {
      state = 'closed';
      failures = 0;
      return;
    }
    failures++;
    if (isProbe || failures >= threshold) {
      state = 'open';
      openedAt = now();
    }
  }

  return {
    state: () => state,
    async run<T>(fn: () => Promise<T>): Promise<T> {
      const isProbe = admit();
      try {
        const value = await fn();
        record(true, isProbe);
        return value;
      } catch (err) {
        if (isFailure(err)) record(false, isProbe);
        // A probe that ended in a non-failure (e.g. a 4xx) still proved the server answers.
        else record(true, isProbe);
        throw err;
      }
    },
  };
}
