// Child processes for the conformance harness: long-running services that announce readiness on stdout,
// and one-shot commands. Services run in their own process group so that stopping one also stops what
// it spawned (agentwall's stdio upstream) and nothing is left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface Service {
  /** The first stdout match of the readiness pattern. */
  readonly ready: RegExpExecArray;
  /** Output seen so far (both streams, tail only), for diagnostics. */
  output(): string;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  readonly cwd: string;
  readonly readyPattern: RegExp;
  readonly startTimeoutMs?: number;
  readonly stopTimeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const OUTPUT_TAIL_CHARS = 20_000;

function tail(text: string): string {
  return text.length > OUTPUT_TAIL_CHARS ? text.slice(-OUTPUT_TAIL_CHARS) : text;
}

function describe(command: string, args: readonly string[]): string {
  return [command, ...args].join(' ');
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (hasExited(child)) return true;
  const exited = once(child, 'exit').then(() => true);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([exited, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM to the group, SIGKILL to whatever of it is left once the leader is gone or the grace ran out. */
async function stopGroup(child: ChildProcess, graceMs: number): Promise<void> {
  signalGroup(child, 'SIGTERM');
  const isGraceful = await waitForExit(child, graceMs);
  signalGroup(child, 'SIGKILL');
  if (!isGraceful) await waitForExit(child, graceMs);
}

function awaitReady(child: ChildProcess, pattern: RegExp, timeoutMs: number, output: () => string) {
  return new Promise<RegExpExecArray>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const match = pattern.exec(stdout);
      if (match) finish(() => resolve(match));
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`exited (code ${code}, signal ${signal}) before it was ready`));
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', fail);
      settle();
    };
    function fail(err: Error) {
      finish(() => reject(new Error(`${err.message}\n--- output ---\n${output()}`)));
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', fail);
  });
}

export async function startService(command: string, args: readonly string[], options: ServiceOptions) {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let seen = '';
  const record = (chunk: Buffer) => (seen = tail(seen + chunk.toString('utf8')));
  child.stdout.on('data', record);
  child.stderr.on('data', record);
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  try {
    const ready = await awaitReady(child, options.readyPattern, options.startTimeoutMs ?? 60_000, () => seen);
    const service: Service = { ready, output: () => seen, stop: () => stopGroup(child, stopTimeoutMs) };
    return service;
  } catch (err) {
    await stopGroup(child, stopTimeoutMs);
    throw new Error(`${describe(command, args)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Runs a command to completion, killing it (and its group) after `timeoutMs`. */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly timeoutMs: number },
): Promise<CommandResult> {
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr = tail(stderr + chunk.toString('utf8'))));
  const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), options.timeoutMs);
  try {
    const [code, signal] = await closed;
    if (signal !== null)
      throw new Error(`${describe(command, args)}: killed by ${signal}\n${tail(stdout)}${stderr}`);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
