import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registerPolicyCommands } from '../../src/cli/policy.js';
import { REPO_ROOT } from '../helpers/paths.js';

/** The shipped bundle's rule counts, read from the file (it grows as checkpoints add default rules). */
const SHIPPED = parse(readFileSync(join(REPO_ROOT, 'policies/default.yaml'), 'utf8')) as {
  rules: { on: string | string[] }[];
};
const SHIPPED_RULES = SHIPPED.rules.length;
const SHIPPED_TOOL_CALL_RULES = SHIPPED.rules.filter((r) => [r.on].flat().includes('tool_call')).length;

const dir = mkdtempSync(join(tmpdir(), 'agentwall-policy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** Runs `agentwall <args>` with only the policy commands registered, as main.ts wires them. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const program = new Command('agentwall')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.push(s.trimEnd()), writeErr: (s) => err.push(s.trimEnd()) });
  registerPolicyCommands(program, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    exit: (c) => (code = c),
    cwd: dir,
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode;
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const RULE = (id: string, when: string, action = 'deny') =>
  `  - id: ${id}\n    on: tool_call\n    when: '${when}'\n    action: ${action}\n`;

describe('agentwall policy check', () => {
  it('compiles the shipped bundle by default and summarises it', async () => {
    const r = await run(['policy', 'check']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`default\\.yaml: ${SHIPPED_RULES} rules, 0 tests`));
    expect(r.out).toMatch(/default\.test\.yaml: 0 rules, \d+ tests/);
    expect(r.out).toMatch(new RegExp(`ok: ${SHIPPED_RULES} rules in 2 files, revision [0-9a-f]{12}`));
    expect(r.out).toContain(`tool_call: ${SHIPPED_TOOL_CALL_RULES} rules`);
  });

  it('accepts a good bundle and counts shadow rules', async () => {
    const file = write('good.yaml', `rules:\n${RULE('a', 'true')}${RULE('b', 'false')}    mode: shadow\n`);
    const r = await run(['policy', 'check', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('good.yaml: 2 rules, 0 tests');
    expect(r.out).toContain('tool_call: 2 rules (1 shadow)');
  });

  it('prints every problem with file:line:col and exits 1', async () => {
    write('bad.yaml', `rules:\n${RULE('r1', 'tool.name ==')}${RULE('r2', 'toool.name == "x"')}`);
    const r = await run(['policy', 'check', 'bad.yaml']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^bad\.yaml:4:\d+: rule r1: CEL syntax error/m);
    expect(r.err).toMatch(/^bad\.yaml:8:\d+: rule r2: unknown variable "toool"/m);
    expect(r.err).toContain('POLICY_COMPILE: 2 problems');
  });

  it('reads policies.paths from --config, relative to the configuration file', async () => {
    write('conf/rules/one.yaml', `rules:\n${RULE('one', 'true')}`);
    const config = write('conf/agentwall.yaml', 'policies:\n  paths: [rules/one.yaml, "@default"]\n');
    const r = await run(['policy', 'check', '--config', config]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`ok: ${SHIPPED_RULES + 1} rules in 3 files`);
  });
});

describe('agentwall policy test', () => {
  it('passes the shipped bundle’s tests', async () => {
    const r = await run(['policy', 'test']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('✓ a plain read passes');
    expect(r.out).toMatch(
      new RegExp(`(\\d+) tests: \\1 passed, 0 failed \\(${SHIPPED_RULES} rules, revision [0-9a-f]{12}\\)`),
    );
    expect(r.out).not.toContain('rules no test makes fire');
  });

  it('reports a failing test with expected and actual action and the fired rules, and exits 1', async () => {
    const bundle = write(
      'mail.yaml',
      `rules:\n${RULE('no-mail', 'tool.name == "send_email"')}${RULE('never', 'false')}`,
    );
    write(
      'mail.test.yaml',
      [
        'tests:',
        '  - name: reading is fine',
        '    event: { tool: { name: read_file } }',
        '    expect: { action: allow }',
        '  - name: mail goes out',
        '    event: { tool: { name: send_email } }',
        '    expect: { action: allow, not_rules: [no-mail] }',
        '',
      ].join('\n'),
    );
    const r = await run(['policy', 'test', bundle]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('mail.test.yaml\n  ✓ reading is fine\n  ✗ mail goes out');
    expect(r.out).toContain('expected: allow   actual: deny');
    expect(r.out).toContain('fired: no-mail');
    expect(r.out).toContain('- expected rule no-mail not to fire');
    expect(r.out).toContain('2 tests: 1 passed, 1 failed');
    expect(r.out).toContain('rules no test makes fire: never');
  });

  it('runs tests with the configured params under the file’s test_params', async () => {
    const bundle = write(
      'roots.yaml',
      [
        `rules:\n${RULE('outside', '!args.path.startsWith(params.root) || args.size > params.max')}`,
        'test_params: { max: 10 }',
        'tests:',
        '  - name: inside and small',
        '    event: { tool: { name: w }, args: { path: /data/x, size: 5 } }',
        '    expect: { action: allow }',
        '',
      ].join('\n'),
    );
    const config = write('roots-config.yaml', 'policies:\n  params: { root: /data, max: 1 }\n');
    const r = await run(['policy', 'test', '--config', config, bundle]);
    expect(r.out).toContain('1 test: 1 passed, 0 failed');
    expect(r.code).toBe(0);
  });

  it('exits 1 when there are no tests, and on a bundle that does not compile', async () => {
    const empty = write('empty.yaml', `rules:\n${RULE('x', 'true')}`);
    const none = await run(['policy', 'test', empty]);
    expect(none.code).toBe(1);
    expect(none.err).toContain('no tests in empty.yaml');
    const broken = write('broken.yaml', `rules:\n${RULE('x', '1 +')}`);
    const bad = await run(['policy', 'test', broken]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/broken\.yaml:4:\d+: rule x/);
  });
});
