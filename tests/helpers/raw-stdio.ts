// `agentwall mcp` spoken to line by line (MCP spec, transports: stdio — newline-delimited JSON-RPC), for
// what an SDK client never sends: lines that are not JSON, invalid JSON-RPC, a close followed by SIGTERM.
import { once } from 'node:events';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { startChild, type Running } from './child.js';
import { AGENTWALL_BIN, REPO_ROOT, assertBuilt } from './paths.js';

export interface RpcReply {
  jsonrpc: '2.0';
  id?: string | number | null;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
  method?: string;
}

export function parseLine(line: string): RpcReply | undefined {
  try {
    return JSON.parse(line) as RpcReply;
  } catch {
    return undefined;
  }
}

export interface RawStdio {
  readonly running: Running;
  /** Writes one line: a string as is, anything else as JSON. */
  send(message: unknown): void;
  replyTo(id: string | number): Promise<RpcReply>;
  /** Replies on stdout from line `from` on that are errors with `code`. */
  errorsSince(from: number, code: number): RpcReply[];
  /** initialize + notifications/initialized; resolves with the initialize result. */
  initialize(): Promise<RpcReply>;
  /** Resolves with the exit code once the process exits, or `'running'` after `timeoutMs`. */
  exit(timeoutMs: number): Promise<number | null | 'running'>;
}

/** Spawns `agentwall <args…>` with a pipe on stdin. */
export function startRawStdio(args: readonly string[]): RawStdio {
  assertBuilt();
  const running = startChild(process.execPath, [AGENTWALL_BIN, ...args], { cwd: REPO_ROOT, stdin: true });
  const send = (message: unknown) =>
    running.child.stdin?.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`);
  const replyTo = async (id: string | number) => {
    const line = await running.stdout.waitFor((l) => parseLine(l)?.id === id, {
      what: `the reply to request ${JSON.stringify(id)}`,
    });
    return parseLine(line) as RpcReply;
  };
  return {
    running,
    send,
    replyTo,
    errorsSince: (from, code) =>
      running.stdout
        .since(from)
        .map(parseLine)
        .filter((r): r is RpcReply => r?.error?.code === code),
    async initialize() {
      send({
        jsonrpc: '2.0',
        id: 'initialize',
        method: 'initialize',
        params: {
          protocolVersion: LATEST_PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: 'raw-stdio', version: '1.0.0' },
        },
      });
      const reply = await replyTo('initialize');
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      return reply;
    },
    async exit(timeoutMs) {
      const { child } = running;
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'running'>(
        (resolve) => (timer = setTimeout(() => resolve('running'), timeoutMs)),
      );
      try {
        return await Promise.race([once(child, 'exit').then(() => child.exitCode), deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
