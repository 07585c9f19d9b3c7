// Runs the compiled agentwall CLI: `serve` as a long-running child that announces its URL on stdout, and
// one-shot commands such as `audit verify`. Configurations are written as YAML into the test's temp dir.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../src/config/schema.js';
import { runToEnd, startChild, waitForStdout, type RunResult, type Running } from './child.js';
import type { EventLog } from './event-log.js';
import { AGENTWALL_BIN, REPO_ROOT, assertBuilt } from './paths.js';

/** Stops at a quote or comma too, in case the line is ever embedded in a JSON log line. */
const LISTENING = /agentwall listening on (http:\/\/[^\s"',]+)/;
const START_TIMEOUT_MS = 60_000;

export async function writeConfig(
  dir: string,
  config: ConfigInput,
  name = 'agentwall.yaml',
): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, stringify(config));
  return file;
}

export interface ServeOptions {
  readonly config: ConfigInput;
  /** Holds the configuration file; the data dir defaults to `<dir>/data`. */
  readonly dir: string;
  readonly dataDir?: string;
  /** Added to this process's environment (e.g. the variables `auth.tokens[].token_env` names). */
  readonly env?: Record<string, string>;
}

export interface AgentwallServe {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly mcpUrl: URL;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly configFile: string;
  /** Pino JSON lines, upstream stderr included. */
  readonly stderr: EventLog<string>;
  /** Stops agentwall (SIGTERM, so it flushes the audit log) and its upstreams; resolves to the exit code. */
  stop(): Promise<number | null>;
}

/** `agentwall serve --config FILE --port 0 --data-dir DIR`, resolved once it prints its listening line. */
export async function startServe(options: ServeOptions): Promise<AgentwallServe> {
  assertBuilt();
  const configFile = await writeConfig(options.dir, options.config);
  const dataDir = options.dataDir ?? join(options.dir, 'data');
  const args = [AGENTWALL_BIN, 'serve', '--config', configFile, '--port', '0', '--data-dir', dataDir];
  const running: Running = startChild(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
  });
  let match: RegExpExecArray;
  try {
    match = await waitForStdout(running, LISTENING, START_TIMEOUT_MS);
  } catch (err) {
    await running.stop();
    throw err;
  }
  const url = match[1] as string;
  const parsed = new URL(url);
  return {
    url,
    mcpUrl: new URL('/mcp', url),
    host: parsed.hostname,
    port: Number(parsed.port),
    dataDir,
    configFile,
    stderr: running.stderr,
    stop: () => running.stop(),
  };
}

/** Runs one agentwall command to completion (`audit verify …`, `check-config …`). */
export function runAgentwall(args: readonly string[], env?: Record<string, string>): Promise<RunResult> {
  assertBuilt();
  return runToEnd(process.execPath, [AGENTWALL_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
  });
}

export interface AuditReport extends RunResult {
  readonly isOk: boolean;
  /** `N` of `audit log ok: N records`, or of `(N records verified before it)`. */
  readonly records: number | undefined;
  /** The record `audit log BROKEN at record N` names. */
  readonly brokenAt: number | undefined;
}

export async function auditVerify(dataDir: string): Promise<AuditReport> {
  const r = await runAgentwall(['audit', 'verify', '--data-dir', dataDir]);
  const ok = /audit log ok: (\d+) records/.exec(r.stdout);
  const broken = /audit log BROKEN at record (\d+).*\((\d+) records verified before it\)/.exec(r.stderr);
  return {
    ...r,
    isOk: r.code === 0 && ok !== null,
    records: ok ? Number(ok[1]) : broken ? Number(broken[2]) : undefined,
    brokenAt: broken ? Number(broken[1]) : undefined,
  };
}
