import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
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
import { AgentwallError, ErrorCode } from '../core/errors.js';
import { ChildTransport } from './child-transport.js';
import { RawCalls, type RawOutcome } from './raw-calls.js';
import { explainUpstreamError } from './upstream-errors.js';
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
  /** Files a spawned server must not inherit descriptors to (see ChildTransport). */
  readonly shield: readonly string[];
  /** Relays a server→client request (sampling, elicitation, roots) to the front client. */
  readonly onRequest: (request: Request, signal: AbortSignal) => Promise<Result>;
  /** Relays a notification (list changes, logging, resource updates) to the front client. */
  readonly onNotification: (notification: Notification) => void;
  /** Called after a restart succeeds, so the front can tell its client that listings changed. */
  readonly onRestarted: () => void;
  /**
   * Connects to a server agentwall runs in-process (the built-in memory server) instead of spawning
   * `config.command` or calling `config.url`; called again on each reconnection.
   */
  readonly transport?: () => Transport;
}

/**
 * One MCP session with one upstream server, owned by one front session. A stdio server that exits is
 * restarted with exponential backoff; meanwhile requests fail at once with UPSTREAM_UNAVAILABLE.
 */
export class Upstream {
  readonly name: string;
  readonly #o: UpstreamOptions;
  #client: Client | undefined;
  #raw: RawCalls | undefined;
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
    const onProgress = options.onProgress;
    if (!onProgress) {
      // The common case needs nothing of ours: the SDK's timeout and the client's signal suffice.
      try {
        return (await client.request(req, ResultSchema, {
          timeout: this.#o.config.timeout,
          ...(options.signal ? { signal: options.signal } : {}),
        })) as T;
      } catch (err) {
        throw this.#explain(err, req.method);
      }
    }
    const idle = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new McpError(-32001, 'Request timed out')), this.#o.config.timeout);
    };
    const cancel = () => idle.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', cancel, { once: true });
    const token = `${this.name}-${++this.#progressSeq}`;
    this.#progress.set(token, (p) => {
      arm();
      onProgress(p);
    });
    arm();
    try {
      const params = { ...req.params, _meta: { ...req.params?._meta, progressToken: token } };
      return (await client.request({ ...req, params }, ResultSchema, {
        signal: idle.signal,
        timeout: NO_SDK_TIMEOUT,
      })) as T;
    } catch (err) {
      throw this.#explain(err, req.method);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', cancel);
      this.#progress.delete(token);
    }
  }

  /**
   * Forwards a request on the raw path (see RawCalls) and returns the upstream's answer untouched.
   * `onProgress`, when given, asks for progress and resets the idle timeout on each notification.
   */
  forward(
    method: string,
    params: Record<string, unknown>,
    onProgress?: (p: Progress) => void,
  ): { promise: Promise<RawOutcome>; cancel: (reason: string) => void } {
    this.#ready();
    const raw = this.#raw as RawCalls;
    const timedOut = () =>
      new AgentwallError(
        ErrorCode.UPSTREAM_TIMEOUT,
        `upstream server "${this.name}" did not answer ${method} within ${this.#o.config.timeout} ms`,
        { data: { server: this.name } },
      );
    let token: string | undefined;
    let sent = params;
    if (onProgress) {
      token = `${this.name}-${++this.#progressSeq}`;
      const meta = typeof params._meta === 'object' && params._meta !== null ? params._meta : {};
      sent = { ...params, _meta: { ...meta, progressToken: token } };
    }
    const { id, promise } = raw.send(method, sent, timedOut);
    if (token !== undefined && onProgress) {
      this.#progress.set(token, (p) => {
        raw.touch(id, timedOut);
        onProgress(p);
      });
    }
    const done = promise.then(
      (outcome) => outcome,
      (err: unknown) => {
        throw this.#explain(err, method);
      },
    );
    return {
      promise: token === undefined ? done : done.finally(() => this.#progress.delete(token)),
      cancel: (reason) => raw.cancel(id, reason, new DOMException(reason, 'AbortError')),
    };
  }

  async notify(notification: Notification): Promise<void> {
    if (this.#status === 'ready') await this.#client?.notification(notification);
  }

  async close(): Promise<void> {
    this.#status = 'closed';
    this.#raw?.failAll(
      () => new AgentwallError(ErrorCode.UPSTREAM_CLOSED, `the session with upstream "${this.name}" closed`),
    );
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
    this.#raw = new RawCalls(transport, this.#o.config.timeout);
    this.#status = 'ready';
    this.#attempt = 0;
    this.#lastError = '';
    this.#o.log.info({ server: this.name, upstream: client.getServerVersion() }, 'upstream connected');
  }

  #transport(): Transport {
    if (this.#o.transport) return this.#o.transport();
    const c = this.#o.config;
    if (c.url !== undefined) {
      return new StreamableHTTPClientTransport(new URL(c.url), {
        requestInit: { headers: { ...c.headers } },
      });
    }
    return new ChildTransport({
      command: c.command ?? '',
      args: c.args,
      // The SDK's default environment (PATH, HOME, …) and nothing else of ours: no secrets leak to servers.
      env: { ...getDefaultEnvironment(), ...c.env },
      cwd: c.cwd,
      shield: this.#o.shield,
      onStderrLine: (line) =>
        this.#o.log.info({ server: this.name, upstream_stderr: line }, 'upstream stderr'),
    });
  }

  #onClosed(client: Client): void {
    if (this.#client !== client || this.#status === 'closed') return;
    this.#drop(new Error('the server closed the connection'));
  }

  /** Forgets a broken connection: requests in flight fail, and a restart is scheduled. */
  #drop(why: unknown): void {
    const client = this.#client;
    this.#client = undefined;
    this.#raw?.failAll(
      () =>
        new AgentwallError(
          ErrorCode.UPSTREAM_CLOSED,
          `upstream server "${this.name}" closed the connection during the request; agentwall is restarting it`,
          { data: { server: this.name } },
        ),
    );
    this.#raw = undefined;
    void client?.close().catch(() => undefined);
    this.#scheduleRestart(why);
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

  #explain(err: unknown, method: string): unknown {
    const { error, isTransportFailure } = explainUpstreamError(err, {
      server: this.name,
      method,
      timeoutMs: this.#o.config.timeout,
      isReady: this.#status === 'ready',
    });
    if (isTransportFailure && this.#o.config.url !== undefined && this.#client) this.#drop(err);
    return error;
  }
}
