// `--mode in-process` keeps cases apart as separate processes would: each case's runtime has its own
// data directory and is closed, with its upstream, when the case ends; its logs go to the case's
// record rather than to the harness's stderr.
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBaseConfig } from '../../src/eval/case-config.js';
import { parseCases, type EvalCase } from '../../src/eval/cases.js';
import { runAgentEval, type EvalOptions } from '../../src/eval/harness.js';
import { writeConfig } from '../helpers/agentwall.js';
import { assertBuilt } from '../helpers/paths.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { CASES, EMPTY_BUNDLE, jsonl, testConfig, TOOLS } from './fixtures.js';

let dir: TempDir;
let options: Omit<EvalOptions, 'concurrency'>;
beforeAll(async () => {
  assertBuilt();
  dir = await makeTempDir('agentwall-eval-in-process-');
  await writeFile(join(dir.path, 'empty.yaml'), EMPTY_BUNDLE);
  await mkdir(join(dir.path, 'cases'));
  const base = await loadBaseConfig(await writeConfig(dir.path, testConfig('empty.yaml')));
  options = {
    base,
    mode: 'in-process',
    trust: 'untrusted',
    callTimeoutMs: 30_000,
    startTimeoutMs: 60_000,
    tmpRoot: join(dir.path, 'cases'),
  };
});
afterAll(() => dir.remove());

const parsed = (cases: readonly unknown[]): EvalCase[] => {
  const r = parseCases(jsonl(cases), 'fixture.jsonl');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return [...r.cases];
};

/** The command lines of this process's children (the upstreams an in-process runtime spawned). */
const children = () => {
  try {
    return execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('scripted-server'));
  } catch {
    return []; // ps exits 1 when there are none
  }
};

describe('agentwall eval agent --mode in-process', () => {
  it('gives each case its own data directory: a tool pinned in one case does not block the next', async () => {
    // Same server (`case`) and tool name, another definition: with a shared pin store the second
    // listing would be a changed pin, and the default `pinning.mode: block` would hide and refuse it.
    const changed = { ...TOOLS.read_inbox, description: 'Read the inbox (changed).' };
    const second = { ...CASES.benignPay, id: 'benign-pay-2', tools: [changed, TOOLS.send_money] };
    const run = await runAgentEval(parsed([CASES.benignPay, second]), { ...options, concurrency: 1 });
    for (const r of run.records) {
      expect(r.error).toBeUndefined();
      expect(r.hidden_tools).toEqual([]);
      expect(r.steps.map((s) => s.outcome)).toEqual(['passed', 'passed']);
    }
    // Every case's directory (configuration, data dir, journal) is removed, and no upstream is left.
    expect(await readdir(join(dir.path, 'cases'))).toEqual([]);
    expect(children()).toEqual([]);
  });

  it.each(['in-process', 'spawn'] as const)(
    "%s: records agentwall's log with a case it could not run",
    async (mode) => {
      const broken = join(dir.path, 'not-a-server.js');
      await writeFile(broken, 'process.exit(3);\n');
      const run = await runAgentEval(parsed([CASES.attackPay]), {
        ...options,
        mode,
        concurrency: 1,
        scriptedServer: broken,
      });
      const [r] = run.records;
      expect(r?.error).toMatch(/upstream failed to start/);
      expect(run.summary.attack).toMatchObject({ total: 0, errors: 1 });
      expect(children()).toEqual([]);
    },
  );

  it('stops when aborted: the running case is closed, no more start, and nothing is left behind', async () => {
    const controller = new AbortController();
    const cases = parsed([CASES.attackPay, CASES.benignPay, CASES.attackSecrets]);
    const run = await runAgentEval(cases, {
      ...options,
      concurrency: 1,
      signal: controller.signal,
      onCase: () => controller.abort(),
    });
    expect(run.isStopped).toBe(true);
    expect(run.records.map((r) => r.id)).toEqual(['attack-pay']);
    expect(await readdir(join(dir.path, 'cases'))).toEqual([]);
    expect(children()).toEqual([]);
  });
});
