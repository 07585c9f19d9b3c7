// Child processes of the e2e tests. A long-running child gets its own process group, so that stopping it
// also stops whatever it spawned (agentwall's upstream servers) and nothing outlives the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { EventLog } from './event-log.js';

export interface Running {
  readonly child: ChildProcess;
  readonly stdout: EventLog<string>;
  readonly stderr: EventLog<string>;
  /** SIGTERM to the child, then SIGKILL to its group; resolves with the child's exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Feeds each line of `stream` to a log. */
export function linesOf(stream: Readable | null | undefined, log: EventLog<string> = new EventLog()) {
  if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => log.push(line));
  return log;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: nothing of the group is left.
  }
}

async function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (hasExited(child)) return true;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([once(child, 'exit').then(() => true as const), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** `stdin: true` keeps a pipe to the child's stdin (`child.stdin`), for speaking a protocol on it. */
export function startChild(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; stdin?: boolean },
): Running {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const stdout = linesOf(child.stdout);
  const stderr = linesOf(child.stderr);
  return {
    child,
    stdout,
    stderr,
    async stop(graceMs = 10_000) {
      if (!hasExited(child)) child.kill('SIGTERM');
      const isGraceful = await exited(child, graceMs);
      killGroup(child, 'SIGKILL');
      if (!isGraceful) await exited(child, graceMs);
      return child.exitCode;
    },
  };
}

/** Resolves with the first stdout line matching `pattern`; rejects if the child exits first. */
export async function waitForStdout(
  running: Running,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpExecArray> {
  const exit = once(running.child, 'exit').then(([code, signal]) => {
    throw new Error(
      `exited (code ${String(code)}, signal ${String(signal)}) before printing ${pattern}\n` +
        `--- stderr ---\n${running.stderr.entries.slice(-40).join('\n')}`,
    );
  });
  const line = running.stdout.waitFor((l) => pattern.test(l), {
    timeoutMs,
    what: `a stdout line matching ${pattern}`,
  });
  try {
    const found = await Promise.race([line, exit]);
    return pattern.exec(found) as RegExpExecArray;
  } finally {
    exit.catch(() => undefined);
    line.catch(() => undefined);
  }
}

/** Runs a command to completion and collects its output. */
export async function runToEnd(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunResult> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const closed = once(child, 'close');
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!(await exited(child, timeoutMs))) {
    killGroup(child, 'SIGKILL');
    throw new Error(`${[command, ...args].join(' ')} did not finish within ${timeoutMs} ms\n${stderr}`);
  }
  await closed;
  killGroup(child, 'SIGKILL');
  return { code: child.exitCode, stdout, stderr };
}

/** A process as /proc saw it; the start time tells it apart from a later process given the same pid. */
export interface ProcessId {
  readonly pid: number;
  readonly startTime: string;
}

/** PPID and start time from /proc/PID/stat ("PID (comm) STATE PPID …"; comm may contain spaces). */
function statOf(pid: number | string): { ppid: number; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After comm: state(0) ppid(1) … starttime is field 22 of the whole line, index 19 here.
    return { ppid: Number(fields[1]), startTime: fields[19] ?? '' };
  } catch {
    return undefined; // ended while we looked, or no /proc
  }
}

/**
 * Every process below `pid` (Linux /proc; empty elsewhere). Used to find the upstream servers of an
 * agentwall that the SDK's StdioClientTransport spawned, which share the test runner's process group.
 */
export function descendantsOf(pid: number): ProcessId[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const children = new Map<number, ProcessId[]>();
  for (const e of entries) {
    const stat = statOf(e);
    if (stat)
      children.set(stat.ppid, [
        ...(children.get(stat.ppid) ?? []),
        { pid: Number(e), startTime: stat.startTime },
      ]);
  }
  const found: ProcessId[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** SIGKILL to each of these processes that is still running (same pid and start time). */
export function killLeftovers(processes: readonly ProcessId[]): void {
  for (const p of processes) {
    if (statOf(p.pid)?.startTime !== p.startTime) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
