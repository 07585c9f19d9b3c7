// The official MCP conformance suite gives the same results against our fixture reached directly and
// reached through agentwall (stdio and HTTP upstream), except that agentwall must add DNS rebinding
// protection (MCP spec 2025-11-25, basic/transports § Security Warning) whether the upstream has it or not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENTWALL_MUST_PASS,
  compareToDirect,
  formatTable,
  runTarget,
  type ConformanceResults,
  type TargetName,
} from './run-conformance.js';

/** Below this many scenarios the comparison says little: the suite (0.1.16) has 32 server scenarios. */
const MIN_SCENARIOS = 25;
/** The fixture may fail dns-rebinding-protection and little else. */
const MIN_DIRECT_PASS_RATIO = 0.9;
const RUN_TIMEOUT_MS = 300_000;

const results = new Map<TargetName, ConformanceResults>();

function direct(): ConformanceResults {
  const found = results.get('direct');
  if (found === undefined) throw new Error('the direct conformance run did not complete');
  return found;
}

describe('MCP conformance suite through agentwall', () => {
  beforeAll(async () => {
    results.set('direct', await runTarget('direct'));
  }, RUN_TIMEOUT_MS);

  afterAll(() => {
    if (results.size > 0) console.log(`MCP conformance results\n${formatTable(results)}`);
  });

  it('runs a meaningful number of scenarios directly, nearly all passing', () => {
    const statuses = [...direct().values()].map((r) => r.status);
    const passed = statuses.filter((s) => s !== 'fail').length;
    expect(statuses.length).toBeGreaterThanOrEqual(MIN_SCENARIOS);
    expect(passed / statuses.length).toBeGreaterThanOrEqual(MIN_DIRECT_PASS_RATIO);
  });

  it.each<TargetName>(['agentwall-stdio', 'agentwall-http'])(
    '%s: same result as direct for every scenario, and passes dns-rebinding-protection',
    async (target) => {
      const through = await runTarget(target);
      results.set(target, through);
      expect(through.get(AGENTWALL_MUST_PASS)?.status).toMatch(/^(pass|warn)$/);
      expect(compareToDirect(direct(), through)).toEqual([]);
    },
    RUN_TIMEOUT_MS,
  );
});
