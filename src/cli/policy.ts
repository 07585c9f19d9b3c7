import { existsSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultConfig, loadConfigFile, type Config } from '../config/index.js';
import { ErrorCode, isAgentwallError } from '../core/errors.js';
import { DEFAULT_BUNDLE, defaultBundlePath, resolveBundlePaths, testFileFor } from '../policy/paths.js';
import { loadPolicySet, type PolicySet } from '../policy/policy-set.js';
import { EVENT_KINDS } from '../policy/rule-spec.js';
import { runPolicyTests, type PolicyTestResult, type TestCase } from '../policy/test-runner.js';

export interface ConfigFlags {
  config?: string;
  dataDir?: string;
}

/** What the policy tooling commands need from the composition root (src/cli/main.ts). */
export interface PolicyToolingDeps {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Records the command's exit status (main's `code`): commander's action handlers cannot return one. */
  readonly exit: (code: number) => void;
  /** The configuration for `--config`/`--data-dir`; by default the file, or the embedded defaults. */
  readonly loadConfig?: (flags: ConfigFlags) => Promise<Config>;
  /** Where relative FILES are resolved; the process's working directory by default. */
  readonly cwd?: string;
}

/** The one place the defaults of PolicyToolingDeps are written. */
export function toolingDefaults(deps: PolicyToolingDeps) {
  const cwd = deps.cwd ?? process.cwd();
  const loadConfig =
    deps.loadConfig ??
    ((flags: ConfigFlags) => {
      const overrides = flags.dataDir === undefined ? {} : { dataDir: resolve(cwd, flags.dataDir) };
      return flags.config === undefined
        ? Promise.resolve(defaultConfig({ overrides, cwd }))
        : loadConfigFile(resolve(cwd, flags.config), { overrides });
    });
  return { ...deps, cwd, loadConfig };
}

type Tooling = ReturnType<typeof toolingDefaults>;

/** Registers `policy check` and `policy test`. */
export function registerPolicyCommands(program: Command, deps: PolicyToolingDeps): void {
  const t = toolingDefaults(deps);
  const policy = program.command('policy').description('Compile and test policy bundles');
  policy
    .command('check')
    .description('Compile bundles (default: the configured policies.paths) and print every problem')
    .argument('[files...]', `bundle files; ${DEFAULT_BUNDLE} is the shipped bundle`)
    .option('-c, --config <file>', 'configuration file (for policies.paths); embedded defaults without it')
    .action(async (files: string[], flags: ConfigFlags) => t.exit(await checkCommand(files, flags, t)));
  policy
    .command('test')
    .description('Run the tests written in bundles (tests:) and in the *.test.yaml beside them')
    .argument('[files...]', `bundle files; ${DEFAULT_BUNDLE} is the shipped bundle`)
    .option('-c, --config <file>', 'configuration file (policies.params, on_error, pipeline.default_action)')
    .action(async (files: string[], flags: ConfigFlags) => t.exit(await testCommand(files, flags, t)));
}

/** The bundles named on the command line, or else the configured ones. */
export function bundleFiles(
  files: readonly string[],
  flags: ConfigFlags,
  config: Config,
  cwd: string,
): string[] {
  if (files.length > 0)
    return files.map((f) => (f === DEFAULT_BUNDLE ? defaultBundlePath() : resolve(cwd, f)));
  const base = flags.config === undefined ? cwd : dirname(resolve(cwd, flags.config));
  return resolveBundlePaths(config.policies.paths, base);
}

/** Bundles with the `x.test.yaml` written beside each, where there is one. */
export function withTestFiles(bundles: readonly string[]): string[] {
  const out: string[] = [];
  for (const b of bundles) {
    if (!out.includes(b)) out.push(b);
    const t = testFileFor(b);
    if (!/\.test\.ya?ml$/i.test(b) && !out.includes(t) && !bundles.includes(t) && existsSync(t)) out.push(t);
  }
  return out;
}

/** A path as the user would type it: relative to the working directory when below it. */
export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/**
 * Compiles the bundles; on POLICY_COMPILE prints every problem (paths shortened) to `err` and returns
 * undefined. Other errors (unreadable configuration) propagate to the command line's handler.
 */
export async function loadOrReport(files: readonly string[], t: Tooling): Promise<PolicySet | undefined> {
  try {
    return await loadPolicySet(files);
  } catch (err) {
    if (!isAgentwallError(err, ErrorCode.POLICY_COMPILE)) throw err;
    const errors = (err.data?.errors as string[] | undefined) ?? [err.message];
    for (const line of errors) t.err(shortenPaths(line, files, t.cwd));
    t.err(
      `agentwall: ${ErrorCode.POLICY_COMPILE}: ${errors.length} ${errors.length === 1 ? 'problem' : 'problems'}`,
    );
    return undefined;
  }
}

function shortenPaths(line: string, files: readonly string[], cwd: string): string {
  const file = files.find((f) => line.startsWith(f));
  return file === undefined ? line : displayPath(file, cwd) + line.slice(file.length);
}

async function checkCommand(args: readonly string[], flags: ConfigFlags, t: Tooling): Promise<number> {
  const config = await t.loadConfig(flags);
  const files = withTestFiles(bundleFiles(args, flags, config, t.cwd));
  const set = await loadOrReport(files, t);
  if (!set) return 1;
  for (const b of set.bundles) {
    t.out(
      `${displayPath(b.file, t.cwd)}: ${plural(b.rules.length, 'rule')}, ${plural(b.tests.length, 'test')}`,
    );
  }
  t.out(
    `ok: ${plural(set.rules.length, 'rule')} in ${plural(set.bundles.length, 'file')}, revision ${set.revision}`,
  );
  for (const kind of EVENT_KINDS) {
    const rules = set.rulesFor(kind);
    if (rules.length === 0) continue;
    const shadow = rules.filter((r) => r.mode === 'shadow').length;
    t.out(`  ${kind}: ${plural(rules.length, 'rule')}${shadow > 0 ? ` (${shadow} shadow)` : ''}`);
  }
  return 0;
}

async function testCommand(args: readonly string[], flags: ConfigFlags, t: Tooling): Promise<number> {
  const config = await t.loadConfig(flags);
  const files = withTestFiles(bundleFiles(args, flags, config, t.cwd));
  const set = await loadOrReport(files, t);
  if (!set) return 1;
  const cases: TestCase[] = set.bundles.flatMap((b) =>
    b.tests.map((test) => ({ file: b.file, test, params: b.testParams })),
  );
  if (cases.length === 0) {
    t.err(`agentwall policy test: no tests in ${files.map((f) => displayPath(f, t.cwd)).join(', ')}`);
    return 1;
  }
  const results = await runPolicyTests(set, cases, {
    params: config.policies.params,
    defaultAction: config.pipeline.default_action,
    onError: config.policies.on_error,
  });
  printResults(cases, results, t);
  const failed = results.filter((r) => !r.ok).length;
  t.out('');
  t.out(
    `${plural(results.length, 'test')}: ${results.length - failed} passed, ${failed} failed ` +
      `(${plural(set.rules.length, 'rule')}, revision ${set.revision})`,
  );
  const fired = new Set(results.flatMap((r) => r.fired));
  const untested = set.rules.filter((r) => !fired.has(r.id)).map((r) => r.id);
  if (untested.length > 0) t.out(`rules no test makes fire: ${untested.join(', ')}`);
  return failed > 0 ? 1 : 0;
}

/** ✓/✗ per test, grouped by file; a failure shows expected and actual action, fired rules, problems. */
function printResults(cases: readonly TestCase[], results: readonly PolicyTestResult[], t: Tooling): void {
  let file: string | undefined;
  results.forEach((r, i) => {
    if (r.file !== file) {
      file = r.file;
      t.out(displayPath(file, t.cwd));
    }
    t.out(`  ${r.ok ? '✓' : '✗'} ${r.name}`);
    if (r.ok) return;
    const expected = cases[i]?.test.expect.action;
    t.out(`      expected: ${expected ?? '?'}   actual: ${r.action}`);
    t.out(`      fired: ${r.fired.length > 0 ? r.fired.join(', ') : '(none)'}`);
    for (const p of r.problems)
      if (p !== `expected action ${expected}, got ${r.action}`) t.out(`      - ${p}`);
  });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
