import type { Logger } from 'pino';
import { callHash, type ApprovalRecord, type ApprovalStore } from '../state/approvals.js';
import type { ApprovalOutcome, ApprovalRequest, ApprovalService, AskClient } from './approval-types.js';

/** Decisions made by another process (the CLI, a second agentwall) are seen within this long. */
export const DEFAULT_APPROVAL_POLL_MS = 250;

/** Node's setTimeout fires at once for longer delays; longer timeouts are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Arguments shown to the person in an elicitation are cut to this many characters. */
const ASK_ARGS_PREVIEW = 500;

export interface ApprovalServiceOptions {
  readonly store: ApprovalStore;
  readonly log: Logger;
  /** Time source for the records' timestamps; `Date.now` by default. */
  readonly clock?: () => number;
  /** How often a held call re-reads its record to see decisions made by other processes. */
  readonly pollMs?: number;
  /** Told when a call starts waiting (dashboards, metrics, tests). */
  readonly onPending?: (record: ApprovalRecord) => void;
}

interface HoldContext {
  readonly store: ApprovalStore;
  readonly log: Logger;
  readonly clock: () => number;
  readonly pollMs: number;
}

/**
 * The approval service of the tool-call gate. Each held call gets its own durable record, so one
 * approval releases exactly one call. A decision can come from three channels, raced: the admin API
 * in this process (heard through the store's listeners), any other process sharing the data file
 * (heard by re-reading the record every `pollMs`), and MCP elicitation (`ask`). The timeout marks the
 * record expired, and an expired approval means deny.
 */
export function createApprovalService(options: ApprovalServiceOptions): ApprovalService {
  const ctx: HoldContext = {
    store: options.store,
    log: options.log,
    clock: options.clock ?? Date.now,
    pollMs: options.pollMs ?? DEFAULT_APPROVAL_POLL_MS,
  };
  const held = new Set<HeldCall>();
  let closed = false;
  return {
    async decide(request: ApprovalRequest, ask?: AskClient): Promise<ApprovalOutcome> {
      if (closed) throw new Error('approval service is closed');
      const record = await ctx.store.create(
        {
          server: request.server,
          tool: request.tool,
          args: request.args,
          principal: request.principal,
          session_id: request.sessionId,
          rules: request.rules,
          message: request.message,
          revision: request.revision,
          timeoutMs: request.timeoutMs,
        },
        ctx.clock(),
      );
      ctx.log.info(
        { approval_id: record.id, server: record.server, tool: record.tool, principal: record.principal },
        'tool call held for approval',
      );
      const call = new HeldCall(ctx, record, request);
      held.add(call);
      call.start(request.timeoutMs, ask);
      options.onPending?.(record);
      const outcome = await call.outcome;
      held.delete(call);
      return outcome;
    },
    close(): Promise<void> {
      closed = true;
      // The records stay pending (and decidable) in the store; the calls themselves are refused.
      for (const call of held)
        call.finish({ decision: 'expired', reason: 'agentwall stopped before a decision' });
      held.clear();
      return Promise.resolve();
    },
  };
}

/** One call waiting for its decision; settles once, whichever channel answers first. */
class HeldCall {
  readonly outcome: Promise<ApprovalOutcome>;
  readonly #ctx: HoldContext;
  readonly #record: ApprovalRecord;
  readonly #request: ApprovalRequest;
  #resolve: (outcome: ApprovalOutcome) => void = () => undefined;
  #done = false;
  #poll: NodeJS.Timeout | undefined;
  #expiry: NodeJS.Timeout | undefined;
  #unwatch: () => void = () => undefined;
  /** Withdraws the question put to the client once the call is settled. */
  readonly #asking = new AbortController();

  constructor(ctx: HoldContext, record: ApprovalRecord, request: ApprovalRequest) {
    this.#ctx = ctx;
    this.#record = record;
    this.#request = request;
    this.outcome = new Promise((resolve) => (this.#resolve = resolve));
  }

  start(timeoutMs: number, ask: AskClient | undefined): void {
    this.#unwatch = this.#ctx.store.watch(this.#record.id, (r) => this.#settle(r));
    this.#poll = setInterval(() => this.#check(), this.#ctx.pollMs);
    this.#poll.unref();
    this.#armExpiry(timeoutMs);
    if (ask !== undefined) this.#ask(ask);
  }

  finish(outcome: Omit<ApprovalOutcome, 'id'>): void {
    if (this.#done) return;
    this.#done = true;
    clearInterval(this.#poll);
    clearTimeout(this.#expiry);
    this.#unwatch();
    this.#asking.abort();
    this.#ctx.log.info({ approval_id: this.#record.id, ...outcome }, 'approval settled');
    this.#resolve({ id: this.#record.id, ...outcome });
  }

  #armExpiry(remainingMs: number): void {
    const delay = Math.min(Math.max(remainingMs, 0), MAX_TIMER_MS);
    this.#expiry = setTimeout(() => {
      if (remainingMs > delay) this.#armExpiry(remainingMs - delay);
      else this.#expire();
    }, delay);
  }

  /** Re-reads the record: the only way to hear of a decision another process made. */
  #check(): void {
    if (this.#done) return;
    try {
      const record = this.#ctx.store.get(this.#record.id);
      if (record === undefined)
        this.finish({ decision: 'denied', reason: 'the approval record disappeared' });
      else this.#settle(record);
    } catch (err) {
      this.#ctx.log.error({ err, approval_id: this.#record.id }, 'cannot read approval; retrying');
    }
  }

  #expire(): void {
    this.#ctx.store.expire(this.#record.id, this.#ctx.clock()).then(
      (change) => {
        if (change.ok || change.code !== 'not_found') this.#settle(change.record);
        else this.finish({ decision: 'denied', reason: change.message });
      },
      (err: unknown) => {
        // Fail closed: the call is refused even though the record could not be written.
        this.#ctx.log.error({ err, approval_id: this.#record.id }, 'cannot mark approval expired');
        this.finish({ decision: 'expired' });
      },
    );
  }

  /** Asks the person at the client; a declined or failed question leaves the other channels open. */
  #ask(ask: AskClient): void {
    const by = `elicitation:${this.#record.principal}`;
    ask(askMessage(this.#record), this.#asking.signal)
      .then(async (answer) => {
        if (answer === undefined || this.#done) return;
        const change = await this.#ctx.store.decide(
          this.#record.id,
          answer,
          by,
          undefined,
          this.#ctx.clock(),
        );
        if (change.ok || change.code !== 'not_found') this.#settle(change.record);
      })
      .catch((err: unknown) => {
        this.#ctx.log.warn({ err, approval_id: this.#record.id }, 'elicitation failed; still waiting');
      });
  }

  /**
   * Ends the wait once the record is decided. The decided record must still be the held call (same
   * call hash and policy revision): a record edited behind agentwall's back releases nothing.
   */
  #settle(record: ApprovalRecord): void {
    if (this.#done || record.status === 'pending') return;
    const hash = callHash(this.#request);
    if (record.call_hash !== hash || record.revision !== this.#request.revision) {
      this.#ctx.log.error({ approval_id: record.id }, 'approval record does not match the held call');
      this.finish({ decision: 'denied', reason: 'the approval record does not match the held call' });
      return;
    }
    this.finish({
      decision: record.status,
      ...(record.decided_by === undefined ? {} : { by: record.decided_by }),
      ...(record.reason === undefined ? {} : { reason: record.reason }),
    });
  }
}

/** What the person at the client reads: the rule's message, then exactly what would run. */
function askMessage(record: ApprovalRecord): string {
  const args = JSON.stringify(record.args);
  const preview = args.length > ASK_ARGS_PREVIEW ? `${args.slice(0, ASK_ARGS_PREVIEW)}…` : args;
  return [
    record.message,
    `Allow ${record.server} / ${record.tool} with ${preview}?`,
    `(approval ${record.id}, expires ${new Date(record.expires_at).toISOString()})`,
  ].join('\n');
}
