import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  McpError,
  ProgressNotificationSchema,
  ResultSchema,
  type ClientCapabilities,
  type Implementation,
  type Notification,
  type Request,
  type Result,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import type { ServerConfig } from '../config/schema.js';

export type UpstreamStatus = 'starting' | 'ready' | 'restarting' | 'closed';

export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

export interface ForwardOptions {
  /** Aborting sends `notifications/cancelled` upstream (the client cancelled). */
  readonly signal?: AbortSignal;
  /** Asks the upstream for progress; each notification also resets the request's idle timeout. */
  readonly onProgress?: (progress: Progress) => void;
}

/** setTimeout's largest delay: the SDK's own timeout is disabled in favour of ours. */
const NO_SDK_TIMEOUT = 2_147_483_647;

export interface UpstreamOptions {
  readonly name: string;
  readonly config: ServerConfig;
  /** Who the front client says it is, and what it can do: upstreams see the same. */
  readonly clientInfo: Implementation;
  readonly clientCapabilities: ClientCapabilities;
  readonly log: Logger;
  readonly restartInitialDelayMs: number;
  readonly restartMaxDelayMs: number;
  readonly connectTimeoutMs: number;
  /** Relays a server→client request (sampling, elicitation, roots) to the front client. */
  readonly onRequest: (request: Request, signal: AbortSignal) => Promise<Result>;
  /** Relays a notification (list changes, logging, resource updates) to the front client. */
  readonly onNotification: (notification: Notification) => void;
  /** Called after a restart succeeds, so the front can tell its client that listings changed. */
  readonly onRestarted: () => void;
}

/**
 * One MCP session with one upstream server, owned by one front session. A stdio server that exits is
 * restarted with exponential backoff; meanwhile requests fail at once with UPSTREAM_UNAVAILABLE.
 */
export class Upstream {
  readonly name: string;
  readonly #o: UpstreamOptions;
  #client: Client | undefined;
  #status: UpstreamStatus = 'starting';
  #attempt = 0;
  #retryAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastError = '';
  #progressSeq = 0;
  /** Progress callbacks by the token agentwall put on the upstream request. */
  readonly #progress = new Map<string, (p: Progress) => void>();

  constructor(options: UpstreamOptions) {
    this.name = options.name;
    this.#o = options;
  }

  get status(): UpstreamStatus {
    return this.#status;
  }

  get capabilities(): ServerCapabilities | undefined {
    return this.#client?.getServerCapabilities();
  }

  get instructions(): string | undefined {
    return this.#client?.getInstructions();
  }

  get trust(): 'trusted' | 'untrusted' {
    return this.#o.config.trust;
  }

  /** First connection. On failure the upstream goes on retrying in the background and this rejects. */
  async start(): Promise<void> {
    try {
      await this.#connect();
    } catch (err) {
      this.#scheduleRestart(err);
      throw err;
    }
  }

  /**
   * Forwards one request. Progress is tracked here rather than by the SDK's `onprogress`: the SDK
   * drops a progress notification that arrives in the same read as its response (the handler runs a
   * microtask later, after the response removed it; typescript-sdk#2580), which would lose the final
   * progress of a fast tool. Our handler stays registered until this method returns, which is after
   * any notification read before the response. The timeout is an idle timeout that progress resets.
   */
  async request<T extends Result = Result>(req: Request, options: ForwardOptions = {}): Promise<T> {
    const client = this.#ready();
    const idle = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new McpError(-32001, 'Request timed out')), this.#o.config.timeout);
    };
    arm();
    let token: string | undefined;
    let params = req.params;
    if (options.onProgress) {
      const onProgress = options.onProgress;
      token = `${this.name}-${++this.#progressSeq}`;
      params = { ...params, _meta: { ...params?._meta, progressToken: token } };
      this.#progress.set(token, (p) => {
        arm();
        onProgress(p);
      });
    }
    const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
    try {
      return (await client.request({ ...req, ...(params === undefined ? {} : { params }) }, ResultSchema, {
        signal,
        timeout: NO_SDK_TIMEOUT,
      })) as T;
    } catch (err) {
      throw this.#explain(err, req.method);
    } finally {
      clearTimeout(timer);
      if (token !== undefined) this.#progress.delete(token);
    }
  }

  async notify(notification: Notification): Promise<void> {
    if (this.#status === 'ready') await this.#client?.notification(notification);
  }

  async close(): Promise<void> {
    this.#status = 'closed';
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    await client?.close().catch(() => undefined);
  }

  #ready(): Client {
    if (this.#status === 'ready' && this.#client) return this.#client;
    const waitMs = Math.max(0, this.#retryAt - Date.now());
    const why = this.#lastError ? ` (${this.#lastError})` : '';
    throw new AgentwallError(
      ErrorCode.UPSTREAM_UNAVAILABLE,
      this.#status === 'closed'
        ? `upstream server "${this.name}" is closed`
        : `upstream server "${this.name}" is unavailable${why}; agentwall is restarting it, next attempt in ${waitMs} ms`,
      { data: { server: this.name, status: this.#status, retry_in_ms: waitMs } },
    );
  }

  async #connect(): Promise<void> {
    const client = new Client(this.#o.clientInfo, { capabilities: this.#o.clientCapabilities });
    // Everything the upstream asks of the client, and everything it notifies, goes to the front
    // unchanged; only the front session knows which client to ask (MCP spec: server→client requests).
    client.fallbackRequestHandler = (request, extra) => this.#o.onRequest(request, extra.signal);
    client.setNotificationHandler(ProgressNotificationSchema, (n) => {
      const { progressToken, ...progress } = n.params;
      this.#progress.get(String(progressToken))?.(progress);
    });
    client.fallbackNotificationHandler = (n) => {
      this.#o.onNotification(n);
      return Promise.resolve();
    };
    const transport = this.#transport();
    client.onclose = () => this.#onClosed(client);
    client.onerror = (err) => this.#o.log.debug({ err, server: this.name }, 'upstream transport error');
    const timeout = this.#o.connectTimeoutMs;
    await client.connect(transport, { timeout });
    if (this.#status === 'closed') {
      await client.close();
      return;
    }
    this.#client = client;
    this.#status = 'ready';
    this.#attempt = 0;
    this.#lastError = '';
    this.#o.log.info({ server: this.name, upstream: client.getServerVersion() }, 'upstream connected');
  }

  #transport(): Transport {
    const c = this.#o.config;
    if (c.url !== undefined) {
      return new StreamableHTTPClientTransport(new URL(c.url), {
        requestInit: { headers: { ...c.headers } },
      });
    }
    const t = new StdioClientTransport({
      command: c.command ?? '',
      args: [...c.args],
      // The SDK's default environment (PATH, HOME, …) and nothing else of ours: no secrets leak to servers.
      env: { ...getDefaultEnvironment(), ...c.env },
      ...(c.cwd === undefined ? {} : { cwd: c.cwd }),
      stderr: 'pipe',
    });
    const stderr = t.stderr as Readable | null;
    if (stderr) {
      createInterface({ input: stderr }).on('line', (line) =>
        this.#o.log.info({ server: this.name, upstream_stderr: line }, 'upstream stderr'),
      );
    }
    return t;
  }

  #onClosed(client: Client): void {
    if (this.#client !== client || this.#status === 'closed') return;
    this.#client = undefined;
    this.#scheduleRestart(new Error('the server closed the connection'));
  }

  #scheduleRestart(err: unknown): void {
    if (this.#status === 'closed') return;
    this.#status = 'restarting';
    this.#lastError = err instanceof Error ? err.message : String(err);
    const delay = Math.min(this.#o.restartMaxDelayMs, this.#o.restartInitialDelayMs * 2 ** this.#attempt);
    this.#attempt += 1;
    this.#retryAt = Date.now() + delay;
    this.#o.log.warn(
      { server: this.name, err: this.#lastError, retry_in_ms: delay },
      'upstream down; restarting',
    );
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#connect().then(
        () => this.#o.onRestarted(),
        (e: unknown) => this.#scheduleRestart(e),
      );
    }, delay);
    this.#timer.unref();
  }

  /** Upstream JSON-RPC errors pass through unchanged; transport failures get a message naming the server. */
  #explain(err: unknown, method: string): unknown {
    if (err instanceof McpError) {
      if (err.code === -32000 && this.#status !== 'ready') {
        return new AgentwallError(
          ErrorCode.UPSTREAM_CLOSED,
          `upstream server "${this.name}" closed the connection during ${method}; agentwall is restarting it`,
          { cause: err, data: { server: this.name } },
        );
      }
      if (err.code === -32001) {
        return new AgentwallError(
          ErrorCode.UPSTREAM_TIMEOUT,
          `upstream server "${this.name}" did not answer ${method} within ${this.#o.config.timeout} ms`,
          { cause: err, data: { server: this.name } },
        );
      }
      return err;
    }
    if (err instanceof Error && err.name === 'AbortError') return err;
    // An HTTP upstream that fails at the transport level (refused, reset, lost session): reconnect.
    if (this.#o.config.url !== undefined && this.#client) {
      const client = this.#client;
      this.#client = undefined;
      void client.close().catch(() => undefined);
      this.#scheduleRestart(err);
    }
    return new AgentwallError(
      ErrorCode.UPSTREAM_CLOSED,
      `upstream server "${this.name}" failed during ${method}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err, data: { server: this.name } },
    );
  }
}
