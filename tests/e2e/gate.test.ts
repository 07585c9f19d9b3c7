// The outbound gate through the real proxy: server-filesystem and server-everything behind one
// `agentwall serve`, a policy bundle of our own, and SDK clients. Every action of the gate, precedence,
// shadow mode, approvals (admin API, CLI, elicitation, expiry), hidden tools, rate limits, and a bad
// reload that keeps the running policy.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/state/store.js';
import { runAgentwall, startServe, type AgentwallServe } from '../helpers/agentwall.js';
import { connectHttp, type HttpClient } from '../helpers/clients.js';
import { textOf } from '../helpers/results.js';
import { everythingServer, filesystemServer } from '../helpers/servers.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const NO_ELICITATION = { sampling: {}, roots: { listChanged: true } };

const RULES = `
rules:
  - { id: no-forbidden-echo, on: tool_call, when: 'tool.name == "echo" && args.message == "forbidden"', action: deny, message: forbidden words }
  - { id: both-redact, on: tool_call, when: 'tool.name == "echo" && args.message == "both"', action: redact, redact: { paths: [args.message] } }
  - { id: both-deny, on: tool_call, when: 'tool.name == "echo" && args.message == "both"', action: deny }
  - { id: mask-secret, on: tool_call, when: 'tool.name == "write_file" && args.content.contains("secret")', action: redact, redact: { paths: [args.content], replacement: "[MASKED]" } }
  - { id: hold, on: tool_call, when: 'tool.name == "write_file" && args.path.endsWith("held.txt")', action: require_approval, approval: { timeout: 60s } }
  - { id: hold-briefly, on: tool_call, when: 'tool.name == "write_file" && args.path.endsWith("expire.txt")', action: require_approval, approval: { timeout: 300ms } }
  - { id: watch-sums, on: tool_call, when: 'tool.name == "get-sum"', action: deny, mode: shadow }
  - { id: hide-image, on: tools_list, when: 'tool.name == "get-tiny-image"', action: deny }
  - { id: note-echo, on: tool_call, when: 'tool.name == "echo" && args.message == "noted" && tool.schema_hash.size() == 64', action: annotate }
  - { id: quarantine-echo, on: tool_call, when: 'tool.name == "echo" && args.message == "isolate"', action: quarantine }
`;

let dir: TempDir;
let files: string;
let bundle: string;
let serve: AgentwallServe;
let client: HttpClient;

beforeAll(async () => {
  dir = await makeTempDir();
  files = join(dir.path, 'files');
  await import('node:fs/promises').then((fs) => fs.mkdir(files));
  bundle = join(dir.path, 'gate.yaml');
  await writeFile(bundle, RULES);
  serve = await startServe({
    dir: dir.path,
    env: { AGENTWALL_ADMIN_TOKEN: ADMIN_TOKEN },
    config: {
      servers: { files: filesystemServer(files), everything: everythingServer() },
      policies: { paths: [bundle], watch: false },
      limits: [
        {
          id: 'messages',
          scope: 'session',
          per_minute: 2,
          burst: 2,
          tools: ['everything/get-annotated-message'],
        },
      ],
    },
  });
  client = await connectHttp(serve.mcpUrl, { hooks: { capabilities: NO_ELICITATION } });
});

afterAll(async () => {
  await client?.close();
  await serve?.stop();
  await dir?.remove();
});

const call = (name: string, args: Record<string, unknown>, c: HttpClient = client) =>
  c.client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

function admin(path: string, init: RequestInit = {}, token = ADMIN_TOKEN) {
  return fetch(new URL(path, serve.url), {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });
}

async function listAll(): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.client.listTools(cursor === undefined ? {} : { cursor });
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return names;
}

/** Resolves with the id of the next approval agentwall holds (it logs each one). */
function nextApprovalId(): Promise<string> {
  const mark = serve.stderr.mark();
  return serve.stderr
    .waitFor((line) => line.includes('tool call held for approval'), { from: mark })
    .then((line) => (JSON.parse(line) as { approval_id: string }).approval_id);
}

describe('the outbound gate', () => {
  it('denies: the client gets a tool error naming the rule, and nothing reaches the upstream', async () => {
    const r = await call('everything__echo', { message: 'forbidden' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('no-forbidden-echo');
    expect(textOf(r)).toContain('forbidden words');
    expect(textOf(r)).not.toContain('Echo:');
    expect(textOf(await call('everything__echo', { message: 'fine' }))).toBe('Echo: fine');
  });

  it('passes an annotated call, and refuses a quarantined one (quarantine is for content, not calls)', async () => {
    await listAll(); // so the gate knows the tool's schema hash
    expect(textOf(await call('everything__echo', { message: 'noted' }))).toBe('Echo: noted');
    const q = await call('everything__echo', { message: 'isolate' });
    expect(q.isError).toBe(true);
    expect(textOf(q)).toContain('quarantine-echo');
  });

  it('lets deny win over redact when both fire', async () => {
    const r = await call('everything__echo', { message: 'both' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('both-deny');
  });

  it('redacts arguments before they are forwarded', async () => {
    const path = join(files, 'masked.txt');
    const r = await call('files__write_file', { path, content: 'my secret is 42' });
    expect(r.isError).toBeFalsy();
    expect(await readFile(path, 'utf8')).toBe('[MASKED]');
  });

  it('holds a call until an admin approves it, then runs exactly that call', async () => {
    const path = join(files, 'held.txt');
    const pending = nextApprovalId();
    const result = call('files__write_file', { path, content: 'approved content' });
    const id = await pending;
    expect(existsSync(path)).toBe(false);
    const listed = (await (await admin('/admin/approvals?status=pending')).json()) as
      { id: string }[] | { approvals: { id: string }[] };
    expect(JSON.stringify(listed)).toContain(id);
    const res = await admin(`/admin/approvals/${id}/approve`, {
      method: 'POST',
      body: '{"reason":"looks fine"}',
    });
    expect(res.status).toBe(200);
    expect((await result).isError).toBeFalsy();
    expect(await readFile(path, 'utf8')).toBe('approved content');
    expect((await admin(`/admin/approvals/${id}/approve`, { method: 'POST' })).status).toBe(409);
  });

  it('refuses a held call that is denied from the CLI of another process', async () => {
    const path = join(files, 'denied-held.txt');
    const pending = nextApprovalId();
    const result = call('files__write_file', { path, content: 'x' });
    const id = await pending;
    const cli = await runAgentwall([
      'approvals',
      'deny',
      id,
      '--reason',
      'not today',
      '--data-dir',
      serve.dataDir,
    ]);
    expect(cli.code).toBe(0);
    const r = await result;
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('not today');
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a held call when no one decides in time', async () => {
    const path = join(files, 'expire.txt');
    const r = await call('files__write_file', { path, content: 'x' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('no one approved it in time');
    expect(existsSync(path)).toBe(false);
  });

  it('asks the person at the client through elicitation when the client can be asked', async () => {
    const asked: string[] = [];
    const c = await connectHttp(serve.mcpUrl, {
      hooks: {
        elicit: (params) => {
          asked.push(params.message);
          return { action: 'accept', content: { approve: true } };
        },
      },
    });
    try {
      const path = join(files, 'elicited-held.txt');
      const r = await call('files__write_file', { path, content: 'yes' }, c);
      expect(r.isError).toBeFalsy();
      expect(asked.join()).toContain('agentwall');
      expect(await readFile(path, 'utf8')).toBe('yes');
    } finally {
      await c.close();
    }
  });

  it('hides tools that tools_list rules hide, and refuses them by name', async () => {
    const names = await listAll();
    expect(names).toContain('everything__echo');
    expect(names).not.toContain('everything__get-tiny-image');
    const r = await call('everything__get-tiny-image', {});
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('hide-image');
  });

  it('enforces rate limits per session', async () => {
    const results = [];
    for (let i = 0; i < 3; i++)
      results.push(await call('everything__get-annotated-message', { messageType: 'success' }));
    expect(results.map((r) => r.isError === true)).toEqual([false, false, true]);
    expect(textOf(results[2]!)).toContain('rate-limit:messages');
  });

  it('keeps the running policy when a reload is bad, and applies a good one', async () => {
    await writeFile(bundle, `${RULES}  - { id: broken, on: tool_call, when: 'args.x ==', action: deny }\n`);
    const bad = await admin('/admin/policies/reload', { method: 'POST' });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toMatch(/gate\.yaml:\d+:\d+: rule broken: CEL syntax error/);
    expect((await call('everything__echo', { message: 'forbidden' })).isError).toBe(true);

    await writeFile(bundle, RULES.replace('"forbidden"', '"verboten"'));
    const good = await admin('/admin/policies/reload', { method: 'POST' });
    expect(good.status).toBe(200);
    expect(textOf(await call('everything__echo', { message: 'forbidden' }))).toBe('Echo: forbidden');
    expect((await call('everything__echo', { message: 'verboten' })).isError).toBe(true);
  });

  it('refuses the admin API without the token', async () => {
    expect((await admin('/admin/policies', {}, 'wrong-token-0123456789')).status).toBe(401);
    expect((await fetch(new URL('/admin/approvals', serve.url))).status).toBe(401);
  });

  it('audits shadow rules without enforcing them', async () => {
    const r = await call('everything__get-sum', { a: 1, b: 2 });
    expect(r.isError).toBeFalsy();
    await client.close();
    await serve.stop();
    const store = openStore(serve.dataDir);
    try {
      const sums = [...store.audit.records()].filter(
        (rec) => rec.kind === 'tool_call' && rec.subject === 'get-sum',
      );
      expect(sums.length).toBe(1);
      expect(sums[0]?.action).toBe('allow');
      expect(sums[0]?.rules).toEqual([{ id: 'watch-sums', action: 'deny', mode: 'shadow' }]);
      const noted = [...store.audit.records()].filter((rec) => rec.rules.some((r) => r.id === 'note-echo'));
      expect(noted.map((rec) => rec.action)).toEqual(['annotate']);
      expect(store.audit.verify().ok).toBe(true);
    } finally {
      await store.close();
    }
  });
});
