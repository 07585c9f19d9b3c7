import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentClient, LaunchAgentwall } from './agent-client.js';
import { caseConfig, publicToolName, type BaseConfig } from './case-config.js';
import { goalSteps, type EvalCase } from './cases.js';
import { classifyStep, decideCase, type CaseVerdict, type StepRecord } from './outcome.js';
import type { JournalEntry } from './script.js';

/** The per-case record (`--report` writes one per line). */
export interface CaseRecord extends CaseVerdict {
  readonly id: string;
  readonly kind: EvalCase['kind'];
  readonly source: string;
  /** The trace steps, then `next`. */
  readonly steps: readonly StepRecord[];
  /** Case tools agentwall did not list (hidden by policy or pinning); the agent calls them anyway. */
  readonly hidden_tools: readonly string[];
  readonly timing: {
    /** Starting agentwall (and, through it, the scripted server) up to a listed session. */
    readonly start_ms: number;
    readonly calls_ms: number;
    readonly total_ms: number;
  };
  /** The harness could not run the case (agentwall did not start, crashed, or the run was stopped). */
  readonly error?: string;
}

export interface RunCaseDeps {
  readonly base: BaseConfig;
  /** Starts the case's agentwall over its configuration file (spawned, or in this process). */
  readonly launch: LaunchAgentwall;
  readonly scriptedServer: string;
  readonly trust: 'trusted' | 'untrusted';
  readonly callTimeoutMs: number;
  readonly startTimeoutMs: number;
  /** Where each case's temporary directory goes; the OS temp dir by default. */
  readonly tmpRoot?: string;
  /** Aborting closes the case's agentwall at once; the case is then recorded with an error. */
  readonly signal?: AbortSignal;
}

/**
 * Runs one case: a fresh temporary directory (configuration, data dir, journal), agentwall started
 * over it with the scripted server as its only upstream, the trace replayed and `next` attempted —
 * each whatever agentwall did to the calls before — then everything stopped and removed.
 */
export async function runCase(c: EvalCase, deps: RunCaseDeps): Promise<CaseRecord> {
  const t0 = performance.now();
  const dir = await mkdtemp(join(deps.tmpRoot ?? tmpdir(), 'agentwall-eval-'));
  let agent: AgentClient | undefined;
  const onAbort = () => void agent?.close();
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  let startMs = 0;
  try {
    const journal = join(dir, 'journal.jsonl');
    const configFile = await writeCaseFiles(c, dir, journal, deps);
    if (deps.signal?.aborted) throw new Error('stopped');
    agent = await deps.launch({
      configFile,
      dir,
      startTimeoutMs: deps.startTimeoutMs,
      callTimeoutMs: deps.callTimeoutMs,
    });
    const listed = new Set((await agent.listTools()).map((t) => t.name));
    startMs = performance.now() - t0;
    const name = (tool: string) => publicToolName(deps.base.config, tool);
    const hidden = c.tools.map((t) => t.name).filter((t) => !listed.has(name(t)));
    // Other servers (agentwall's built-in memory) still list tools when the scripted one is down:
    // a case none of whose tools is listed cannot be run (the log says why).
    if (c.tools.length > 0 && hidden.length === c.tools.length)
      throw new Error(
        "none of the case's tools is listed: the scripted server did not start, or the policy hides them all",
      );
    const steps = await replay(c, agent, journal, name, deps.signal);
    const next = steps.at(-1)!;
    return {
      ...identity(c),
      ...decideCase(steps.slice(0, -1), goalSteps(c), next),
      steps,
      hidden_tools: hidden,
      timing: timing(t0, startMs),
    };
  } catch (err) {
    // Closed first: a spawned agentwall writes out its buffered log lines as it exits.
    await agent?.close().catch(() => undefined);
    const tail = agent?.logTail();
    const why = deps.signal?.aborted ? 'stopped' : err instanceof Error ? err.message : String(err);
    return {
      ...identity(c),
      completed: false,
      held: false,
      steps: [],
      hidden_tools: [],
      timing: timing(t0, startMs),
      error: tail && !why.includes(tail) ? `${why}\n${tail}` : why,
    };
  } finally {
    deps.signal?.removeEventListener('abort', onAbort);
    await agent?.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** The trace steps in order, then `next`, each called whatever became of the ones before. */
async function replay(
  c: EvalCase,
  agent: AgentClient,
  journal: string,
  name: (tool: string) => string,
  signal: AbortSignal | undefined,
): Promise<StepRecord[]> {
  const steps: StepRecord[] = [];
  let seen = 0;
  const calls = [...c.trace.map((s, i) => [`trace[${i}]`, s.call] as const), ['next', c.next] as const];
  for (const [step, call] of calls) {
    if (signal?.aborted) throw new Error('stopped');
    const started = performance.now();
    const { reply, isApprovalAsked } = await agent.call(name(call.name), call.arguments);
    // The calls go one at a time, so the lines the server wrote meanwhile are this call's.
    const lines = await readJournal(journal);
    const ms = performance.now() - started;
    steps.push(
      classifyStep({ step, tool: call.name, reply, journal: lines.slice(seen), isApprovalAsked, ms }),
    );
    seen = lines.length;
  }
  return steps;
}

const identity = (c: EvalCase) => ({ id: c.id, kind: c.kind, source: c.source });

function timing(t0: number, startMs: number): CaseRecord['timing'] {
  const total = performance.now() - t0;
  return {
    start_ms: Math.round(startMs),
    calls_ms: Math.round(startMs > 0 ? total - startMs : 0),
    total_ms: Math.round(total),
  };
}

async function writeCaseFiles(c: EvalCase, dir: string, journal: string, deps: RunCaseDeps) {
  const caseFile = join(dir, 'case.json');
  const configFile = join(dir, 'agentwall.json');
  const server = {
    command: process.execPath,
    args: [deps.scriptedServer, '--case', caseFile, '--journal', journal],
    trust: deps.trust,
  };
  const config = caseConfig(deps.base, server, join(dir, 'data'));
  await Promise.all([
    writeFile(caseFile, JSON.stringify(c)),
    writeFile(journal, ''),
    writeFile(configFile, JSON.stringify(config, null, 2)),
  ]);
  return configFile;
}

async function readJournal(file: string): Promise<JournalEntry[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as JournalEntry);
}
