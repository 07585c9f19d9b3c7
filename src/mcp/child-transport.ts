import { closeSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import spawn from 'cross-spawn';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { LineTransport } from './stdio-transport.js';

export interface ChildTransportOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string | undefined;
  /** Files of ours the child must not inherit a descriptor to (the LMDB data file and its lock). */
  readonly shield: readonly string[];
  readonly onStderrLine: (line: string) => void;
}

/** Time a child gets to exit after its stdin closes, then after SIGTERM (as the MCP SDK does). */
const GRACE_MS = 2000;

/**
 * A stdio MCP server as a child process (MCP spec, transports: stdio).
 *
 * Unlike the SDK's transport, it keeps the child from inheriting agentwall's open files: LMDB opens
 * the data file without close-on-exec, so every spawned server would hold a read-write descriptor on
 * the audit log, approvals and pins. Each such descriptor number is pointed at /dev/null in the child
 * (found through /proc/self/fd, on Linux; elsewhere nothing is shielded, see docs/operations.md).
 */
export class ChildTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport['onmessage'];

  readonly #o: ChildTransportOptions;
  #child: ChildProcess | undefined;
  #lines: LineTransport | undefined;

  constructor(options: ChildTransportOptions) {
    this.#o = options;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): Promise<void> {
    const { stdio, release } = stdioShielding(this.#o.shield);
    let child: ChildProcess;
    try {
      child = spawn(this.#o.command, [...this.#o.args], {
        env: { ...this.#o.env },
        ...(this.#o.cwd === undefined ? {} : { cwd: this.#o.cwd }),
        stdio,
        windowsHide: true,
      });
    } finally {
      release(); // the child has its own copies by now
    }
    this.#child = child;
    return new Promise((resolve, reject) => {
      child.once('error', (err) => {
        reject(err);
        this.onerror?.(err);
      });
      child.once('spawn', () => {
        const stdout = child.stdout;
        const stdin = child.stdin;
        if (!stdout || !stdin) return reject(new Error('the child has no stdio pipes'));
        const lines = new LineTransport(stdout, stdin, { answerBadInput: false });
        lines.onmessage = (m, extra) => this.onmessage?.(m, extra);
        lines.onerror = (e) => this.onerror?.(e);
        this.#lines = lines;
        if (child.stderr) createInterface({ input: child.stderr }).on('line', this.#o.onStderrLine);
        stdin.on('error', (e) => this.onerror?.(e));
        child.once('close', () => {
          void lines.close();
          this.onclose?.();
        });
        void lines.start().then(resolve, reject);
      });
    });
  }

  send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (!this.#lines) return Promise.reject(new Error('the upstream process is not running'));
    return this.#lines.send(message);
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const within = (ms: number) =>
      Promise.race([
        exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
      ]);
    child.stdin?.end();
    if (await within(GRACE_MS)) return;
    child.kill('SIGTERM');
    if (await within(GRACE_MS)) return;
    child.kill('SIGKILL');
  }
}

/** stdio for spawn: pipes for 0–2, /dev/null over every descriptor of ours that points at `shield`. */
function stdioShielding(shield: readonly string[]): { stdio: StdioOptions; release: () => void } {
  const fds = ownDescriptorsOf(shield);
  if (fds.length === 0) return { stdio: ['pipe', 'pipe', 'pipe'], release: () => undefined };
  const devNull = openSync('/dev/null', 'r');
  const stdio: StdioOptions = ['pipe', 'pipe', 'pipe'];
  const max = Math.max(...fds);
  for (let fd = 3; fd <= max; fd++) stdio.push(fds.includes(fd) ? devNull : 'ignore');
  return { stdio, release: () => closeSync(devNull) };
}

function ownDescriptorsOf(paths: readonly string[]): number[] {
  if (paths.length === 0) return [];
  let entries: string[];
  try {
    entries = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    const fd = Number(e);
    if (!Number.isInteger(fd) || fd < 3) continue;
    try {
      const target = readlinkSync(`/proc/self/fd/${e}`);
      if (paths.some((p) => target === p || target.startsWith(`${p}-`))) out.push(fd);
    } catch {
      // Closed between the listing and the readlink.
    }
  }
  return out;
}
