import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isInitializeRequest,
  isJSONRPCRequest,
  type InitializeRequest,
  type JSONRPCMessage,
  type MessageExtraInfo,
} from '@modelcontextprotocol/sdk/types.js';

type Queued = [JSONRPCMessage, MessageExtraInfo | undefined];

/**
 * Wraps a started front transport and holds its messages until the session's MCP server exists.
 *
 * agentwall cannot build that server when the transport opens: the capabilities it advertises are the
 * union of its upstreams' (so the upstreams must be connected first), and the upstreams must be told
 * what the client can do (sampling, elicitation, roots), which only the client's `initialize` says.
 * So the first `initialize` is caught here, the session is opened from it, and then everything held,
 * that `initialize` first, is released to the server in order.
 */
export class HeldTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport['onmessage'];
  /**
   * Sees every released message before the server does; returning true takes it (the proxy's hot
   * path, `tools/call`, is served here without the SDK server's per-request work).
   */
  intercept?: ((message: JSONRPCMessage) => boolean) | undefined;

  readonly #inner: Transport;
  readonly #queue: Queued[] = [];
  #released = false;
  #initializing = false;

  /** `onInitialize` is called once, with the client's first `initialize` request. */
  constructor(inner: Transport, onInitialize: (request: InitializeRequest) => void) {
    this.#inner = inner;
    inner.onclose = () => this.onclose?.();
    inner.onerror = (err) => this.onerror?.(err);
    inner.onmessage = (message, extra) => {
      if (this.#released) {
        if (!this.intercept?.(message)) this.onmessage?.(message, extra);
      } else if (this.#initializing) {
        this.#queue.push([message, extra]);
      } else if (isInitializeRequest(message)) {
        this.#initializing = true;
        this.#queue.push([message, extra]);
        onInitialize(message);
      } else if (isJSONRPCRequest(message)) {
        // MCP spec, lifecycle: the client must not send requests other than pings before initialize.
        void inner
          .send({
            jsonrpc: '2.0',
            id: message.id,
            error: {
              code: -32600,
              message: 'Bad Request: the session is not initialized; send initialize first',
            },
          })
          .catch(() => undefined);
      }
    };
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.#inner.setProtocolVersion?.(version);
  }

  /** The inner transport is already started by the front; the server's start is a no-op. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.#inner.send(message, options);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  /** Hands every held message, in order, to the server that is now connected. */
  release(): void {
    this.#released = true;
    for (const [message, extra] of this.#queue.splice(0)) {
      if (!this.intercept?.(message)) this.onmessage?.(message, extra);
    }
  }

  /** Answers the held `initialize` with an error when the session could not be opened. */
  async reject(code: number, message: string): Promise<void> {
    const first = this.#queue[0]?.[0];
    this.#queue.length = 0;
    if (first && isJSONRPCRequest(first)) {
      await this.#inner.send({ jsonrpc: '2.0', id: first.id, error: { code, message } });
    }
    this.#initializing = false;
  }
}
