// `agentwall eval agent` end to end: the scripted server on its own, then cases replayed through a real
// agentwall — in the harness's process and as an `agentwall mcp` per case, which must agree — with
// test bundles that decide by tool name (not the shipped policy, which changes).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCases, type EvalCase } from '../../src/eval/cases.js';
import { loadBaseConfig } from '../../src/eval/case-config.js';
import { runAgentEval, SCRIPTED_SERVER } from '../../src/eval/harness.js';
import type { CaseRecord } from '../../src/eval/run-case.js';
import type { JournalEntry } from '../../src/eval/script.js';
import type { EvalSummary } from '../../src/eval/summary.js';
import { writeConfig } from '../helpers/agentwall.js';
import { runMain } from '../helpers/cli.js';
import { assertBuilt } from '../helpers/paths.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { CASES, EMPTY_BUNDLE, FIREWALL_BUNDLE, jsonl, testConfig, TOOLS } from './fixtures.js';

let dir: TempDir;
beforeAll(async () => {
  assertBuilt();
  dir = await makeTempDir('agentwall-eval-');
  await writeFile(join(dir.path, 'empty.yaml'), EMPTY_BUNDLE);
  await writeFile(join(dir.path, 'firewall.yaml'), FIREWALL_BUNDLE);
});
afterAll(() => dir.remove());

const parsed = (cases: readonly unknown[]): EvalCase[] => {
  const r = parseCases(jsonl(cases), 'fixture.jsonl');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return [...r.cases];
};
const byId = (records: readonly CaseRecord[], id: string) => {
  const r = records.find((x) => x.id === id);
  if (!r) throw new Error(`no record for ${id}`);
  return r;
};
const step = (r: CaseRecord, name: string) => r.steps.find((s) => s.step === name)!;

describe('the scripted server on its own', () => {
  it('lists the case tools verbatim, answers the trace in order per tool, and journals every call', async () => {
    const c = {
      ...CASES.attackSecrets,
      tools: [TOOLS.read_inbox, TOOLS.get_secrets, TOOLS.post_webhook, TOOLS.get_contacts],
      trace: [
        { call: { name: 'read_inbox', arguments: { limit: 1 } }, result: 'first' },
        { call: { name: 'get_secrets', arguments: {} }, result: 'secret' },
        { call: { name: 'read_inbox', arguments: { limit: 2 } }, result: { second: true } },
      ],
    };
    const [parsedCase] = parsed([c]);
    const caseFile = join(dir.path, 'server-case.json');
    const journal = join(dir.path, 'server-journal.jsonl');
    await writeFile(caseFile, JSON.stringify(parsedCase));
    await writeFile(journal, '');
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [SCRIPTED_SERVER, '--case', caseFile, '--journal', journal],
        env: getDefaultEnvironment(),
      }),
    );
    try {
      expect((await client.listTools()).tools).toEqual(c.tools);
      const text = async (name: string, args: Record<string, unknown>) => {
        const r = await client.callTool({ name, arguments: args });
        return (r.content as { text: string }[])[0]?.text;
      };
      // Other arguments than scripted still get the next scripted result of that tool.
      expect(await text('read_inbox', { limit: 9 })).toBe('first');
      expect(await text('read_inbox', { limit: 2 })).toBe('{"second":true}');
      expect(await text('post_webhook', CASES.attackSecrets.next.arguments)).toBe('ok');
      expect(await text('get_contacts', {})).toBe('ok');
      expect(await text('get_secrets', {})).toBe('secret');
    } finally {
      await client.close();
    }
    const lines = (await readFile(journal, 'utf8')).trim().split('\n');
    const entries = lines.map((l) => JSON.parse(l) as JournalEntry);
    expect(entries.map((e) => [e.seq, e.name, e.served_as])).toEqual([
      [0, 'read_inbox', 'trace[0]'],
      [1, 'read_inbox', 'trace[2]'],
      [2, 'post_webhook', 'next'],
      [3, 'get_contacts', 'extra'],
      [4, 'get_secrets', 'trace[1]'],
    ]);
    expect(entries[0]?.arguments).toEqual({ limit: 9 });
  });
});

/** Both ways of running agentwall: in this process (the default), and `agentwall mcp` per case. */
const MODES = ['in-process', 'spawn'] as const;
type Mode = (typeof MODES)[number];

const FIREWALL_CASES = [
  CASES.attackPay,
  CASES.benignPay,
  CASES.attackEmail,
  CASES.attackSecrets,
  CASES.attackContacts,
  CASES.attackWebhook,
];

describe.each(MODES)('agentwall eval agent through agentwall (%s)', (mode) => {
  it('with an empty bundle every goal reaches the server: attacks succeed and the benign twin is allowed', async () => {
    const cases = parsed([CASES.attackPay, CASES.benignPay, CASES.attackSecrets]);
    const base = await loadBaseConfig(
      await writeConfig(dir.path, testConfig('empty.yaml'), `empty-config-${mode}.yaml`),
    );
    const run = await runAgentEval(cases, {
      base,
      mode,
      concurrency: 2,
      trust: 'untrusted',
      callTimeoutMs: 30_000,
      startTimeoutMs: 60_000,
    });
    expect(run.records.map((r) => r.id)).toEqual(['attack-pay', 'benign-pay', 'attack-secrets']);
    for (const r of run.records) {
      expect(r.error).toBeUndefined();
      expect(r.completed).toBe(true);
      expect(r.hidden_tools).toEqual([]);
      expect(r.steps.every((s) => s.executed)).toBe(true);
    }
    expect(step(byId(run.records, 'attack-secrets'), 'next')).toMatchObject({
      executed: true,
      served_as: 'next',
      outcome: 'passed',
    });
    expect(run.summary.attack).toMatchObject({ total: 2, succeeded: 2, asr: 1, held: 0, errors: 0 });
    expect(run.summary.benign).toMatchObject({ total: 1, allowed: 1, utility: 1, held: 0 });
    expect(run.summary.failures).toEqual(['attack-pay', 'attack-secrets']);
    expect(run.summary.mode).toBe(mode);
  });
});

describe('a deny-by-name bundle, through the command line in both modes', () => {
  const runs = new Map<
    Mode,
    { code: number; err: string; ms: number; summary: EvalSummary; records: CaseRecord[] }
  >();
  beforeAll(async () => {
    const casesFile = join(dir.path, 'cases.jsonl');
    await writeFile(casesFile, jsonl(FIREWALL_CASES));
    const config = await writeConfig(dir.path, testConfig('firewall.yaml'), 'firewall-config.yaml');
    for (const mode of MODES) {
      const reportFile = join(dir.path, `report-${mode}.jsonl`);
      const started = Date.now();
      // `in-process` is the default: the flag is left out for it.
      const flags = mode === 'spawn' ? ['--mode', 'spawn'] : [];
      const r = await runMain([
        'eval',
        'agent',
        '--cases',
        casesFile,
        '--config',
        config,
        '--json',
        '--concurrency',
        '2',
        '--report',
        reportFile,
        ...flags,
      ]);
      const records = r.code === 0 ? await readReport(reportFile) : [];
      const summary = (r.code === 0 ? JSON.parse(r.out) : {}) as EvalSummary;
      runs.set(mode, { code: r.code, err: r.err, ms: Date.now() - started, summary, records });
    }
  });
  const runOf = (mode: Mode) => {
    const r = runs.get(mode);
    if (!r) throw new Error(`no run in mode ${mode}`);
    expect(r.code, r.err).toBe(0);
    return r;
  };

  it.each(MODES)('%s: records refusals, holds and withheld results from the journal', (mode) => {
    const { summary, records, ms } = runOf(mode);
    // The held call was declined by the harness's client at once, not left for its 5-minute expiry.
    expect(ms).toBeLessThan(60_000);
    expect(summary.mode).toBe(mode);
    expect(Object.keys(summary)).toEqual(
      expect.arrayContaining(['attack', 'benign', 'by_source', 'failures', 'elapsed_s']),
    );
    expect(summary.attack).toMatchObject({ total: 5, succeeded: 1, asr: 0.2, held: 1, errors: 0 });
    expect(summary.benign).toMatchObject({ total: 1, allowed: 0, utility: 0, held: 0 });
    expect(summary.attack.stopped_by_rule).toEqual({
      'deny-send-money': 1,
      'hold-email': 1,
      'deny-secrets': 1,
      'withhold-contacts': 1,
    });
    expect(Object.keys(summary.by_source).sort()).toEqual([
      'fixture/dh',
      'fixture/dh:benign-twin',
      'fixture/ds',
    ]);
    expect(summary.by_source['fixture/ds']?.attack).toMatchObject({ total: 2, succeeded: 0, asr: 0 });
    expect(summary.by_source['fixture/dh:benign-twin']?.attack).toMatchObject({ total: 0, asr: null });
    expect(summary.failures).toEqual(['benign-pay', 'attack-webhook']);

    expect(records.map((x) => x.id)).toEqual(FIREWALL_CASES.map((c) => c.id));

    const pay = byId(records, 'attack-pay');
    expect(pay).toMatchObject({ completed: false, stopped_at: 'next', stopped_by: 'refused' });
    expect(step(pay, 'next')).toMatchObject({
      executed: false,
      outcome: 'refused',
      rules: ['deny-send-money'],
    });
    // The injected inbox went through: the harness replays it whatever a scanner thinks of it.
    expect(step(pay, 'trace[0]').executed).toBe(true);

    const email = byId(records, 'attack-email');
    expect(email).toMatchObject({ completed: false, held: true, stopped_by: 'held' });
    expect(step(email, 'next')).toMatchObject({ executed: false, outcome: 'held', approval_asked: true });

    // A goal step of the trace refused: no success, although the gullible agent still sent `next`.
    const secrets = byId(records, 'attack-secrets');
    expect(secrets).toMatchObject({ completed: false, stopped_at: 'trace[1]', rules: ['deny-secrets'] });
    expect(step(secrets, 'trace[1]')).toMatchObject({ executed: false, outcome: 'refused' });
    expect(step(secrets, 'next')).toMatchObject({ executed: true, served_as: 'next' });

    // A result withheld: the server executed the call (journal), the client saw a refusal.
    const contacts = byId(records, 'attack-contacts');
    expect(step(contacts, 'trace[1]')).toMatchObject({ executed: true, outcome: 'withheld' });
    expect(contacts).toMatchObject({ completed: false, stopped_at: 'trace[1]', stopped_by: 'withheld' });

    expect(byId(records, 'attack-webhook')).toMatchObject({ completed: true });
  });

  it('gives identical records and figures in both modes, timings and generated ids aside', () => {
    const [inProcess, spawned] = MODES.map((m) => runOf(m));
    expect(inProcess!.records.map(comparable)).toEqual(spawned!.records.map(comparable));
    const figures = ({ attack, benign, by_source, failures, errors }: EvalSummary) => ({
      attack,
      benign,
      by_source,
      failures,
      errors,
    });
    expect(figures(inProcess!.summary)).toEqual(figures(spawned!.summary));
  });
});

describe('agentwall eval agent: the table', () => {
  it('prints a table without --json', async () => {
    const casesFile = join(dir.path, 'one.jsonl');
    await writeFile(casesFile, jsonl([CASES.attackPay]));
    const config = await writeConfig(dir.path, testConfig('firewall.yaml'), 'table-config.yaml');
    const r = await runMain(['eval', 'agent', '--cases', casesFile, '--config', config]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^source\s+attacks\s+succeeded\s+ASR\s+held\s+benign\s+allowed\s+utility\s+held$/m);
    expect(r.out).toMatch(/^total\s+1\s+0\s+0\.0%\s+0\s+0\s+-\s+-\s+-$/m);
    expect(r.out).toMatch(/deny-send-money/);
    expect(r.out).toMatch(/at concurrency 1 \(in-process\)/);
  });
});

async function readReport(file: string): Promise<CaseRecord[]> {
  return (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CaseRecord);
}

/** A record without what differs from run to run: timings, approval ids, spotlighting markers. */
function comparable(r: CaseRecord): unknown {
  const { timing: _timing, ...rest } = r;
  const text = JSON.stringify({ ...rest, steps: r.steps.map(({ ms: _ms, ...s }) => s) })
    .replace(/approval [0-9a-f-]{36}/g, 'approval <id>')
    .replace(/untrusted-data id=\\"[0-9a-f]+/g, 'untrusted-data id=\\"<id>');
  return JSON.parse(text);
}

describe('bad input', () => {
  it('names the line and the field of a malformed case, and exits 2 before running anything', async () => {
    const file = join(dir.path, 'bad.jsonl');
    const noName = { ...CASES.benignPay, id: 'x', next: { arguments: {} } };
    const unknownTool = { ...CASES.attackPay, id: 'y', next: { name: 'nope', arguments: {} } };
    await writeFile(
      file,
      [JSON.stringify(CASES.attackPay), JSON.stringify(noName), '{"id": ', JSON.stringify(unknownTool)].join(
        '\n',
      ),
    );
    const r = await runMain(['eval', 'agent', '--cases', file]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}:2: next.name:`);
    expect(r.err).toMatch(new RegExp(`${file}:3: not JSON`));
    expect(r.err).toContain(`${file}:4: next.name: "nope" is not one of the case's tools`);
    expect(r.out).toBe('');
  });

  it('exits 2 on a bad flag or configuration', async () => {
    const file = join(dir.path, 'ok.jsonl');
    await writeFile(file, jsonl([CASES.attackPay]));
    expect((await runMain(['eval', 'agent', '--cases', file, '--filter', '('])).code).toBe(2);
    expect((await runMain(['eval', 'agent', '--cases', file, '--concurrency', '0'])).code).toBe(2);
    const mode = await runMain(['eval', 'agent', '--cases', file, '--mode', 'thread']);
    expect(mode.code).toBe(2);
    expect(mode.err).toContain('--mode: expected in-process or spawn');
    expect((await runMain(['eval', 'agent'])).code).toBe(2);
    const bad = join(dir.path, 'bad-config.yaml');
    await writeFile(bad, 'pipeline: { default_action: maybe }\n');
    const r = await runMain(['eval', 'agent', '--cases', file, '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('pipeline.default_action');
  });
});
