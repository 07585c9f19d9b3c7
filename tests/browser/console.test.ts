// The console in a real browser (Debian's chromium, headless) against a real agentwall: a held tool
// call approved from the dashboard completes for the agent; a memory lineage is revoked after its dry
// run; the routing playground explains a math prompt; decisions arrive live with their why.
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, type HttpClient } from '../helpers/clients.js';
import { textOf } from '../helpers/results.js';
import { everythingServer } from '../helpers/servers.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { startVllmStandin, type VllmStandin } from '../support/vllm-standin.js';
import {
  CHROMIUM,
  hasChromium,
  launchChromium,
  screenshot,
  serveInProcess,
  signIn,
  type InProcessServe,
} from './console-harness.js';

const NO_ELICITATION = { sampling: {}, roots: { listChanged: true } };
const MATH = 'What is the derivative of x^3 + 2x? Compute the limit as x approaches 0.';
const RULES = `rules:
  - id: hold-echo
    on: tool_call
    when: 'tool.name == "echo" && args.message == "needs a person"'
    action: require_approval
    message: a person reads this first
    approval: { timeout: 120s }
`;

if (!hasChromium) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

describe.skipIf(!hasChromium)('the console in chromium', () => {
  let dir: TempDir;
  let upstream: VllmStandin;
  let serve: InProcessServe;
  let browser: Browser;
  let page: Page;
  const clients: HttpClient[] = [];
  /** Script errors and CSP violations the pages caused (a refused 401 fetch is expected, not one). */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = await makeTempDir('agentwall-console-browser-');
    upstream = await startVllmStandin({
      models: [
        { id: 'qwen3-8b', task: 'generate' },
        { id: 'qwen3-32b', task: 'generate' },
      ],
    });
    const bundle = join(dir.path, 'console.yaml');
    await import('node:fs/promises').then((fs) => fs.writeFile(bundle, RULES));
    serve = await serveInProcess(dir.path, {
      data_dir: join(dir.path, 'data'),
      log: { level: 'warn' },
      servers: { everything: everythingServer() },
      policies: { paths: [bundle], watch: false },
      scorers: {
        injection: { enabled: false },
        jailbreak: { enabled: false },
        capability: { enabled: false },
      },
      routing: {
        upstreams: [{ name: 'a', url: `${upstream.url}/v1` }],
        models: {
          'qwen3-8b': { upstreams: ['a'] },
          'qwen3-32b': { upstreams: ['a'], reasoning_family: 'qwen3' },
        },
        default_model: 'qwen3-8b',
        decisions: [
          {
            name: 'math',
            priority: 10,
            when: 'signals.domain == "math" && signals.domain_score > 0.6',
            model: 'qwen3-32b',
            reasoning: true,
          },
        ],
      },
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource'))
        pageErrors.push(msg.text());
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await browser?.close();
    await serve?.stop();
    await upstream?.close();
    await dir?.remove();
  });

  async function agent(): Promise<HttpClient> {
    const c = await connectHttp(new URL('/mcp', serve.url), { hooks: { capabilities: NO_ELICITATION } });
    clients.push(c);
    return c;
  }
  const call = (c: HttpClient, name: string, args: Record<string, unknown>) =>
    c.client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
  async function toolNamed(c: HttpClient, suffix: string): Promise<string> {
    const tools = [];
    let cursor: string | undefined;
    do {
      const page = await c.client.listTools(cursor === undefined ? {} : { cursor });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const tool = tools.find((t) => t.name === suffix || t.name.endsWith(`__${suffix}`));
    if (!tool) throw new Error(`no tool ${suffix} in ${tools.map((t) => t.name).join(', ')}`);
    return tool.name;
  }
  /** What these tests read of admin answers. */
  interface Body {
    approvals: { args: unknown }[];
    versions: { id: number; status: string }[];
    revocations: unknown[];
  }
  async function admin(path: string): Promise<Body> {
    const res = await fetch(`${serve.url}${path}`, { headers: { authorization: `Bearer ${serve.token}` } });
    return (await res.json()) as Body;
  }

  it('says what to do without a token and with a wrong one', async () => {
    await page.goto(`${serve.url}/ui/`);
    await page.locator('#status', { hasText: 'Sign in with the admin token' }).waitFor();
    await page.getByLabel('Admin token').fill('not-the-admin-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const status = page.locator('#status.error', { hasText: 'missing or wrong' });
    await status.waitFor();
    await screenshot(page, 'console-wrong-token');
    expect(await page.locator('#page').textContent()).toBe('');
  });

  it('shows a decision live and explains it: rules, signals, timing per stage', async () => {
    await signIn(page, serve.url, serve.token);
    await page.locator('#live', { hasText: 'live: on' }).waitFor();
    const c = await agent();
    const echo = await toolNamed(c, 'echo');
    expect(textOf(await call(c, echo, { message: 'seen live' }))).toBe('Echo: seen live');
    const row = page
      .locator('#decision-rows tr', { hasText: 'tool_call' })
      .filter({ hasText: 'echo' })
      .first();
    await row.getByRole('button', { name: 'Why' }).click();
    const why = page.locator('#why');
    await why.locator('h3', { hasText: 'Why allow: tool_call everything/echo' }).waitFor();
    await why.locator('table', { hasText: 'stage' }).locator('td', { hasText: 'policy' }).first().waitFor();
    expect(await why.textContent()).toContain('No rule fired');
    await screenshot(page, 'console-decision-why');
  });

  it('approves a held tool call from the queue, and the agent gets the tool’s result', async () => {
    const c = await agent();
    const echo = await toolNamed(c, 'echo');
    await page.goto(`${serve.url}/ui/#/approvals`);
    const held = call(c, echo, { message: 'needs a person' });
    const row = page.locator('tr[data-approval]', { hasText: 'echo' });
    await row.waitFor();
    expect(await row.textContent()).toContain('hold-echo: a person reads this first');
    await screenshot(page, 'console-approval-queue');
    await row.getByRole('button', { name: 'Approve echo' }).click();
    const result = await held;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('Echo: needs a person');
    await page.locator('#status', { hasText: 'approved' }).waitFor();
    await page.locator('#approval-decided td', { hasText: 'admin:admin' }).first().waitFor();
    await screenshot(page, 'console-approval-decided');
    const { approvals } = await admin('/admin/approvals?status=approved');
    expect(approvals.map((a) => a.args)).toContainEqual({ message: 'needs a person' });
  });

  it('revokes a memory lineage after its dry run shows what it covers', async () => {
    const c = await agent();
    const [write, read] = [await toolNamed(c, 'memory_write'), await toolNamed(c, 'memory_read')];
    await call(c, write, { key: 'source-note', value: 'from a page the agent read' });
    expect(textOf(await call(c, read, { key: 'source-note' }))).toContain('from a page the agent read');
    await call(c, write, { key: 'derived-note', value: 'built on the source' });
    const other = await agent(); // another session: nothing read, nothing derived
    await call(other, write, { key: 'unrelated-note', value: 'independent' });
    const ns = 'principal:local';
    const history = async (key: string) =>
      (await admin(`/admin/memory/namespaces/${encodeURIComponent(ns)}/items/${key}/history`)).versions;
    const source = (await history('source-note'))[0]!;

    await page.goto(`${serve.url}/ui/#/memory`);
    await page.getByRole('button', { name: `Open ${ns}` }).click();
    await page.getByRole('button', { name: 'History of source-note' }).click();
    await page.getByRole('button', { name: `Lineage of #${source.id}` }).click();
    const lineage = page.locator('#mem-lineage');
    await lineage.locator('tr', { hasText: 'derived-note' }).filter({ hasText: 'descendant' }).waitFor();
    await page.getByRole('button', { name: `Revoke lineage of #${source.id}…` }).click();
    const count = page.locator('#revoke-count');
    await count.waitFor();
    expect(await count.textContent()).toContain('would revoke 2 versions');
    await screenshot(page, 'console-memory-dry-run');
    expect((await history('source-note'))[0]?.status).toBe('active'); // a dry run writes nothing

    await page.getByRole('button', { name: 'Confirm: revoke 2' }).click();
    await page.locator('#revoke-done', { hasText: 'holds 2 versions' }).waitFor();
    await screenshot(page, 'console-memory-revoked');
    expect((await history('source-note'))[0]?.status).toBe('revoked');
    expect((await history('derived-note'))[0]?.status).toBe('revoked');
    expect((await history('unrelated-note'))[0]?.status).toBe('active');
    const { revocations } = await admin('/admin/memory/revocations');
    expect(revocations.at(-1)).toMatchObject({
      by: 'admin:admin',
      criteria: { ids: [source.id], cascade: true },
    });
    const after = await call(c, read, { key: 'source-note' });
    expect(textOf(after)).not.toContain('from a page the agent read');
  });

  it('shows the pinned tools with their definitions, and the policy with a replay of the audit log', async () => {
    await page.goto(`${serve.url}/ui/#/pins`);
    await page.getByRole('button', { name: 'Diff of echo', exact: true }).click();
    await page.locator('#pin-diff h3', { hasText: 'everything / echo: pinned' }).waitFor();
    await page.goto(`${serve.url}/ui/#/policy`);
    await page.locator('#policy-current td', { hasText: 'hold-echo' }).waitFor();
    await page.getByRole('button', { name: 'Reload from disk' }).click();
    await page.locator('#status', { hasText: '(unchanged)' }).waitFor();
    await page.getByLabel(/Candidate bundle files/).fill('@default');
    await page.getByRole('button', { name: 'Replay the audit log' }).click();
    const summary = page.locator('#replay-report p', { hasText: 'tool calls replayed' });
    await summary.waitFor();
    expect(await summary.textContent()).toMatch(/^\d+ tool calls replayed; A reproduces \d+/);
    await screenshot(page, 'console-policy-replay');
  });

  it('explains the routing of a math prompt in the playground, without calling the upstream', async () => {
    const before = upstream.requests.length;
    await page.goto(`${serve.url}/ui/#/routing`);
    await page.getByLabel('Prompt').fill(MATH);
    await page.getByRole('button', { name: 'Explain the routing' }).click();
    const decision = page.locator('#playground-decision', { hasText: 'Decision: math' });
    await decision.waitFor();
    expect(await decision.textContent()).toBe('Decision: math → model qwen3-32b, reasoning on');
    await page
      .locator('#playground-result tr', { hasText: 'domain' })
      .filter({ hasText: 'math' })
      .first()
      .waitFor();
    await screenshot(page, 'console-routing-playground');
    expect(upstream.requests.length).toBe(before);
  });

  it('ran every page without a script error or a Content-Security-Policy violation', () => {
    expect(pageErrors).toEqual([]);
  });
});
