import { randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import type { Principal } from '../core/session.js';
import { openFrontSession, type FrontSession, type FrontSessionDeps } from './front-session.js';
import { HeldTransport } from './held-transport.js';
import { LineTransport } from './stdio-transport.js';

export interface StdioFront {
  /** Resolves when the client closes stdin or the session ends. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * The stdio front: one MCP client on stdin/stdout, one session. stdout carries only protocol
 * messages; logs go to stderr (MCP spec, transports: stdio).
 */
export async function startStdioFront(
  deps: FrontSessionDeps,
  principal: Principal,
  io: { stdin: Readable; stdout: Writable } = { stdin: process.stdin, stdout: process.stdout },
): Promise<StdioFront> {
  const transport = new LineTransport(io.stdin, io.stdout);
  let front: FrontSession | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const sessionId = randomUUID();
  const held = new HeldTransport(transport, (init) => {
    openFrontSession(held, init, sessionId, principal, deps).then(
      (f) => (front = f),
      (err: unknown) => {
        deps.log.error({ err }, 'session failed to open');
        void held.reject(-32603, `agentwall could not open the session: ${String(err)}`);
      },
    );
  });
  let closing: Promise<void> | undefined;
  // Idempotent: the transport's close calls back into this, and shutdown can arrive from several sides.
  const close = () =>
    (closing ??= (async () => {
      await front?.close();
      await transport.close().catch(() => undefined);
      resolveClosed();
    })());
  // Set on the held transport: the SDK's Server chains this handler when it connects.
  held.onclose = () => void close();
  await transport.start();
  return { closed, close };
}
