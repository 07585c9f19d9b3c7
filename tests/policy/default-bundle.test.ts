import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { loadPolicySet } from '../../src/policy/policy-set.js';
import { defaultBundlePath, testFileFor } from '../../src/policy/paths.js';
import { runPolicyTests } from '../../src/policy/test-runner.js';

describe('policies/default.yaml', async () => {
  const bundle = defaultBundlePath();
  const set = await loadPolicySet([bundle, testFileFor(bundle)]);
  const config = defaultConfig();
  const cases = set.bundles.flatMap((b) =>
    b.tests.map((test) => ({ file: b.file, test, params: b.testParams })),
  );

  it('has rules and tests', () => {
    expect(set.rules.length).toBeGreaterThanOrEqual(5);
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  const results = await runPolicyTests(set, cases, {
    params: config.policies.params,
    defaultAction: config.pipeline.default_action,
    onError: config.policies.on_error,
  });
  it.each(results.map((r) => [r.name, r] as const))('%s', (_name, r) => {
    expect(r.problems).toEqual([]);
  });

  it('tests every rule of the bundle at least once', () => {
    const fired = new Set(results.flatMap((r) => r.fired));
    expect(set.rules.map((r) => r.id).filter((id) => !fired.has(id))).toEqual([]);
  });
});
