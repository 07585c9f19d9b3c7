import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, Result } from '@modelcontextprotocol/sdk/types.js';

/** What an upstream answered: its result or its JSON-RPC error, untouched. */
export type RawOutcome =
  { readonly result: Result } | { readonly error: { code: number; message: string; data?: unknown } };

interface Pending {
  resolve: (o: RawOutcome) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Requests sent straight on an upstream transport, beside the SDK client that owns it: the hot path of
 * the proxy (`tools/call`) pays for neither the SDK's per-request bookkeeping nor a second schema
 * validation of the result, which agentwall passes through unchanged. Ids are strings (`aw-1`, …),
 * so they never collide with the SDK client's numeric ids; responses to them are taken off the
 * transport before the SDK sees them.
 */
export class RawCalls {
  readonly #transport: Transport;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, Pending>();
  #seq = 0;

  constructor(transport: Transport, timeoutMs: number) {
    this.#transport = transport;
    this.#timeoutMs = timeoutMs;
    // Installed after the SDK client connected, so that its handler is the one wrapped.
    const sdk = transport.onmessage;
    transport.onmessage = (message, extra) => {
      if ('id' in message && typeof message.id === 'string' && !('method' in message)) {
        const p = this.#pending.get(message.id);
        if (p) {
          this.#settle(message.id);
          if ('result' in message) p.resolve({ result: message.result });
          else if ('error' in message) p.resolve({ error: message.error });
          return;
        }
      }
      sdk?.(message, extra);
    };
  }

  /** Sends one request; `onTimeout` makes the error the promise rejects with when the idle timer fires. */
  send(
    method: string,
    params: Record<string, unknown>,
    onTimeout: () => unknown,
  ): { id: string; promise: Promise<RawOutcome> } {
    const id = `aw-${++this.#seq}`;
    const promise = new Promise<RawOutcome>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, timer: undefined });
      this.touch(id, onTimeout);
    });
    const message: JSONRPCMessage = { jsonrpc: '2.0', id, method, params };
    this.#transport.send(message).catch((err: unknown) => this.fail(id, err));
    return { id, promise };
  }

  /** Restarts the idle timer of a request (on progress). */
  touch(id: string, onTimeout: () => unknown): void {
    const p = this.#pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    p.timer = setTimeout(() => {
      this.#send({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: id, reason: 'timeout' },
      });
      this.fail(id, onTimeout());
    }, this.#timeoutMs);
  }

  /** The client cancelled: tell the upstream (MCP spec, cancellation) and drop the request. */
  cancel(id: string, reason: string, error: unknown): void {
    if (!this.#pending.has(id)) return;
    this.#send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } });
    this.fail(id, error);
  }

  fail(id: string, error: unknown): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#settle(id);
    p.reject(error);
  }

  /** The connection is gone: every request in flight fails with `error()`. */
  failAll(error: () => unknown): void {
    for (const id of [...this.#pending.keys()]) this.fail(id, error());
  }

  #settle(id: string): void {
    clearTimeout(this.#pending.get(id)?.timer);
    this.#pending.delete(id);
  }

  #send(message: JSONRPCMessage): void {
    this.#transport.send(message).catch(() => undefined);
  }
}
