import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { idOf, jsonRpcProblem } from './http/body.js';

/** A line longer than this is refused (and skipped) rather than buffered without end. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * The stdio front's transport: newline-delimited JSON-RPC on stdin/stdout (MCP spec, transports:
 * stdio). Unlike the SDK's, a line that is not JSON is answered with -32700 and a message that is not
 * JSON-RPC with -32600 (with its id when it has one), and the session goes on: a client's bad line
 * must not silently vanish or end the session.
 */
export class LineTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport['onmessage'];

  readonly #in: Readable;
  readonly #out: Writable;
  readonly #answerBadInput: boolean;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #skipping = false;
  #closed = false;

  /**
   * `answerBadInput`: reply to a bad line with a JSON-RPC error (the front, facing a client); false
   * reports it through `onerror` instead (facing an upstream, which must not be sent replies to noise).
   */
  constructor(input: Readable, output: Writable, options: { answerBadInput?: boolean } = {}) {
    this.#in = input;
    this.#out = output;
    this.#answerBadInput = options.answerBadInput ?? true;
  }

  start(): Promise<void> {
    this.#in.on('data', this.#onData);
    this.#in.on('error', this.#onError);
    this.#in.once('end', () => void this.close());
    return Promise.resolve();
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const ok = this.#out.write(`${JSON.stringify(message)}\n`, (err) => {
        if (err) reject(err);
      });
      if (ok) resolve();
      else this.#out.once('drain', resolve);
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#in.off('data', this.#onData);
    this.#in.off('error', this.#onError);
    this.#pending = [];
    this.onclose?.();
    return Promise.resolve();
  }

  readonly #onError = (err: Error) => this.onerror?.(err);

  readonly #onData = (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.#take(chunk.subarray(start, nl));
      this.#line();
      start = nl + 1;
    }
    if (start < chunk.length) this.#take(chunk.subarray(start));
  };

  #take(part: Buffer): void {
    if (this.#skipping) return;
    this.#pendingBytes += part.length;
    if (this.#pendingBytes > MAX_LINE_BYTES) {
      this.#skipping = true;
      this.#pending = [];
      this.#reply(null, -32600, `Invalid Request: a message longer than ${MAX_LINE_BYTES} bytes`);
      return;
    }
    this.#pending.push(part);
  }

  #line(): void {
    const skipped = this.#skipping;
    const text = Buffer.concat(this.#pending).toString('utf8').replace(/\r$/, '');
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#skipping = false;
    if (skipped || text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.#reply(null, -32700, `Parse error: ${(err as Error).message}`);
      return;
    }
    const problem = jsonRpcProblem(value);
    if (problem !== undefined) {
      this.#reply(idOf(value), -32600, `Invalid Request: ${problem}`);
      return;
    }
    // Batches were removed from MCP in 2025-06-18; each message of one is still handled on its own.
    for (const message of Array.isArray(value) ? value : [value]) this.onmessage?.(message as JSONRPCMessage);
  }

  #reply(id: string | number | null, code: number, message: string): void {
    if (!this.#answerBadInput) {
      this.onerror?.(new Error(`bad message from the peer: ${message}`));
      return;
    }
    void this.send({ jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage);
  }
}
