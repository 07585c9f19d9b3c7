import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { errorMessage } from './errors.js';
import { killSurvivors, listProcessTree } from './proc-tree.js';

export interface ServiceOptions {
  /** Used in messages. */
  readonly name: string;
  /** The program and its arguments. */
  readonly command: readonly string[];
  /** A stdout line matching this means the service is ready; the match is returned. */
  readonly ready: RegExp;
  /** The child's stderr is appended here rather than piped, so reading it costs the benchmark nothing. */
  readonly stderrFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** How long to wait for the ready line before giving up; default 30 s. */
  readonly readyTimeoutMs?: number;
}

export interface Service {
  readonly name: string;
  /**
   * The match of the ready line. Rejects, with the tails of stdout and stderr, if the process exits or
   * the timeout passes first; the process is then still to be stopped.
   */
  readonly ready: Promise<RegExpMatchArray>;
  /**
   * SIGTERM, then SIGKILL after `graceMs`; then kills whatever the service had started and left running
   * once it had exited, and resolves to how many such processes there were.
   */
  stop(graceMs?: number): Promise<number>;
}

const TAIL_LINES = 20;

/**
 * Starts a long-running process that announces readiness with a line on stdout. It returns at once, so
 * that the caller can register `stop` before waiting on `ready`: an interrupt while waiting must not
 * leave the process behind. Its stdout is read to the end (a full pipe would block it); the last lines
 * are kept for error messages.
 */
export function startService(options: ServiceOptions): Service {
  const [program, ...args] = options.command;
  if (program === undefined) throw new Error(`${options.name}: empty command`);
  const stderrFd = openSync(options.stderrFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(program, args, {
      stdio: ['ignore', 'pipe', stderrFd],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
  } finally {
    closeSync(stderrFd);
  }
  // 'close' comes after the exit and the end of stdout; a process that never started emits only 'error'.
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  const tail: string[] = [];
  const ready = waitForReadyLine(child, options, tail).catch((err: unknown) => {
    const detail = `stdout tail:\n${tail.join('\n')}\nstderr tail:\n${readTail(options.stderrFile)}`;
    throw new Error(`${options.name}: ${errorMessage(err)}\n${detail}`, { cause: err });
  });
  return { name: options.name, ready, stop: (graceMs = 5000) => stopProcess(child, exited, graceMs) };
}

function waitForReadyLine(
  child: ChildProcess,
  options: ServiceOptions,
  tail: string[],
): Promise<RegExpMatchArray> {
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
    const settle = (): void => clearTimeout(timer);
    child.once('error', (err) => {
      settle();
      reject(err);
    });
    child.once('exit', (code, signal) => {
      settle();
      reject(
        new Error(`exited (${signal ?? `code ${code}`}) before printing a line matching ${options.ready}`),
      );
    });
    let isReady = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      const match = isReady ? null : options.ready.exec(line);
      if (match) {
        isReady = true;
        settle();
        resolve(match);
      }
    });
  });
}

async function stopProcess(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<number> {
  const tree = child.pid === undefined ? [] : listProcessTree(child.pid);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    if (!(await settlesWithin(exited, graceMs))) {
      child.kill('SIGKILL');
      await exited;
    }
  }
  return killSurvivors(tree);
}

/**
 * Stops a process tree through `close` (e.g. an MCP client closing its stdio transport), then kills
 * what is left of it; resolves to how many processes that was.
 */
export async function closeProcessTree(pid: number | null, close: () => Promise<void>): Promise<number> {
  const tree = pid === null ? [] : listProcessTree(pid);
  await close();
  return killSurvivors(tree);
}

/** Whether `promise` settles within `ms`; the timer is a bound on waiting, not a synchronisation. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last `bytes` of a log file, for an error message; empty if it cannot be read. */
export function readTail(path: string, bytes = 2000): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}
