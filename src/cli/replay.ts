import { createReadStream, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../config/index.js';
import { DEFAULT_BUNDLE, defaultBundlePath } from '../policy/paths.js';
import type { PolicySet } from '../policy/policy-set.js';
import {
  recordedEventSchema,
  replayDecisions,
  replayOptionsOf,
  type RecordedEvent,
  type ReplayResult,
} from '../policy/replay.js';
import { renderHtml, renderMarkdown, type ReportMeta } from '../policy/replay-report.js';
import { DATA_FILE, openStore } from '../state/store.js';
import {
  displayPath,
  loadOrReport,
  toolingDefaults,
  type ConfigFlags,
  type PolicyToolingDeps,
} from './policy.js';

type Tooling = ReturnType<typeof toolingDefaults>;

interface ReplayFlags extends ConfigFlags {
  audit?: string;
  policy?: string[];
  out: string;
  examples: number;
}

/** Registers `replay`: recorded tool calls re-decided under policy A and policy B. */
export function registerReplayCommand(program: Command, deps: PolicyToolingDeps): void {
  const t = toolingDefaults(deps);
  program
    .command('replay')
    .description('Re-evaluate recorded tool calls under two policies and report the decisions that change')
    .option('--audit <file>', 'audit records as JSON lines (from `agentwall audit export`)')
    .option(
      '--data-dir <dir>',
      'read the audit log of this data directory (default: the configured data_dir)',
    )
    .option('-c, --config <file>', 'configuration: policies.params, on_error, default_action, server trust')
    .option(
      '--policy <files>',
      `a policy version: bundle files, comma-separated (${DEFAULT_BUNDLE} is the shipped bundle); give it twice, A (baseline) then B (candidate)`,
      // No default value: commander would print `(default: [])` in the help.
      (value: string, all: string[] | undefined) => [...(all ?? []), value],
    )
    .option('--out <dir>', 'where report.md and report.html are written', 'replay-report')
    .option('--examples <n>', 'examples kept per rule', parsePositive, 5)
    .action(async (flags: ReplayFlags) => t.exit(await replayCommand(flags, t)));
}

/** Registers `audit export` under the `audit` command: the log as JSON lines, the input of `replay --audit`. */
export function registerAuditExport(audit: Command, deps: PolicyToolingDeps): void {
  const t = toolingDefaults(deps);
  audit
    .command('export')
    .description('Write every audit record as one JSON line to stdout (input for `agentwall replay --audit`)')
    .option('-c, --config <file>', 'configuration file (for data_dir)')
    .option('--data-dir <dir>', 'data directory')
    .option('--from <seq>', 'first sequence number to export', parsePositive, 1)
    .action(async (flags: ConfigFlags & { from: number }) => t.exit(await exportCommand(flags, t)));
}

async function exportCommand(flags: ConfigFlags & { from: number }, t: Tooling): Promise<number> {
  const config = await t.loadConfig(flags);
  if (!hasDataFile(config.data_dir, t)) return 1;
  const store = openStore(config.data_dir);
  let n = 0;
  try {
    for (const record of store.audit.records(flags.from)) {
      t.out(JSON.stringify(record));
      n += 1;
    }
  } finally {
    await store.close();
  }
  // The count goes to stderr: stdout is the export itself.
  t.err(`exported ${n} audit records from ${store.path}`);
  return 0;
}

async function replayCommand(flags: ReplayFlags, t: Tooling): Promise<number> {
  if (flags.audit !== undefined && flags.dataDir !== undefined)
    return usage(t, 'give --audit FILE or --data-dir DIR, not both');
  const policies = flags.policy ?? [];
  if (policies.length !== 2) return usage(t, `give --policy twice (A, then B); got ${policies.length}`);
  const config = await t.loadConfig(flags);
  const [filesA, filesB] = policies.map((p) => policyFiles(p, t.cwd)) as [string[], string[]];
  const a = await loadOrReport(filesA, t);
  const b = await loadOrReport(filesB, t);
  if (!a || !b) return 1;
  const source = openRecords(flags, config, t);
  if (!source) return 1;
  let result: ReplayResult;
  try {
    result = await replayDecisions(source.records, a, b, replayOptionsOf(config, flags.examples));
  } finally {
    await source.close();
  }
  const meta: ReportMeta = {
    source: source.label,
    generated: new Date().toISOString(),
    a: infoOf(a, filesA, t.cwd),
    b: infoOf(b, filesB, t.cwd),
  };
  const outDir = resolve(t.cwd, flags.out);
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'report.md'), renderMarkdown(result, meta));
  await writeFile(join(outDir, 'report.html'), renderHtml(result, meta));
  printSummary(result, meta, outDir, t);
  return 0;
}

function policyFiles(list: string, cwd: string): string[] {
  return list
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '')
    .map((f) => (f === DEFAULT_BUNDLE ? defaultBundlePath() : resolve(cwd, f)));
}

function infoOf(set: PolicySet, files: readonly string[], cwd: string) {
  return { files: files.map((f) => displayPath(f, cwd)), revision: set.revision, rules: set.rules.length };
}

interface RecordSource {
  readonly label: string;
  readonly records: Iterable<RecordedEvent> | AsyncIterable<RecordedEvent>;
  close(): Promise<void>;
}

/** The recorded events: a JSONL export, or the LMDB audit log (never created when it is missing). */
function openRecords(flags: ReplayFlags, config: Config, t: Tooling): RecordSource | undefined {
  if (flags.audit !== undefined) {
    const file = resolve(t.cwd, flags.audit);
    if (!existsSync(file)) {
      t.err(`agentwall replay: no such file ${file}`);
      return undefined;
    }
    return {
      label: `audit export ${displayPath(file, t.cwd)}`,
      records: readJsonl(file),
      close: () => Promise.resolve(),
    };
  }
  if (!hasDataFile(config.data_dir, t)) return undefined;
  const store = openStore(config.data_dir);
  return { label: `audit log ${store.path}`, records: store.audit.records(), close: () => store.close() };
}

/** One audit record per line; a line that is not one stops the replay with its line number. */
async function* readJsonl(file: string): AsyncGenerator<RecordedEvent> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${n}: not JSON: ${(err as Error).message}`);
    }
    const parsed = recordedEventSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `${file}:${n}: not an audit record: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`,
      );
    }
    yield parsed.data;
  }
}

function hasDataFile(dataDir: string, t: Tooling): boolean {
  if (existsSync(join(dataDir, DATA_FILE))) return true;
  t.err(`agentwall: no audit log: ${join(dataDir, DATA_FILE)} does not exist`);
  return false;
}

function printSummary(r: ReplayResult, meta: ReportMeta, outDir: string, t: Tooling): void {
  t.out(`replayed ${r.events} tool calls from ${meta.source} (${r.skipped} other records)`);
  t.out(`A reproduces the recorded action for ${r.matchesRecorded} of ${r.events}`);
  t.out(
    `A ${meta.a.files.join(',')} (${meta.a.revision}) → B ${meta.b.files.join(',')} (${meta.b.revision}): ` +
      `${r.changed} ${r.changed === 1 ? 'decision changes' : 'decisions change'}`,
  );
  for (const [k, n] of Object.entries(r.transitions).sort((x, y) => y[1] - x[1]))
    t.out(`  ${k.replace('→', ' → ')}: ${n}`);
  for (const rule of r.rules) t.out(`  rule ${rule.id}: ${rule.count}`);
  const dir = displayPath(outDir, t.cwd);
  t.out(`report: ${join(dir, 'report.md')}, ${join(dir, 'report.html')}`);
}

function usage(t: Tooling, message: string): number {
  t.err(`agentwall replay: ${message}`);
  t.err(
    'usage: agentwall replay (--audit FILE | --data-dir DIR) --policy A.yaml[,…] --policy B.yaml[,…] [--out DIR]',
  );
  return 2;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('must be an integer ≥ 1');
  return n;
}
