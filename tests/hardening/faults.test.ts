// Faults (issue 9): an upstream MCP server that crashes mid-call, hangs, answers slowly or writes garbage
// on stdout; a remote scorer that fails, hangs or answers garbage. Each gives the client a clear error
// within the configured timeout, a scorer fault fails closed by default (`pipeline.on_stage_error: deny`)
// and open where configured, and the next call works once the fault has passed. agentwall runs in this
// process (its HTTP front on loopback); the upstream is a real child process, the scorer a real HTTP server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import type { AuditBarrier } from '../../src/mcp/checkpoints.js';
import { connectHttp, type HttpClient } from '../helpers/clients.js';
import { rejectionOf, textOf } from '../helpers/results.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { faultServer, startInProcess, type InProcess } from './in-process.js';
import { startScorerStub, type ScorerMode, type ScorerStub } from './scorer-stub.js';

const UPSTREAM_TIMEOUT_MS = 1_500;
const SCORER_TIMEOUT_MS = 400;
/** What the deadlines below allow beyond a configured timeout, on a loaded 2-core CI machine. */
const SLACK_MS = 3_000;

let tmp: TempDir;
let stub: ScorerStub;
let closed: InProcess;
let open: InProcess;
let client: HttpClient;
let openClient: HttpClient;

function config(onStageError: 'deny' | 'allow'): ConfigInput {
  return {
    servers: { fault: faultServer({ timeout: UPSTREAM_TIMEOUT_MS }) },
    upstreams: { restart_initial_delay: 50 },
    pipeline: { on_stage_error: onStageError },
    policies: { watch: false },
    scorers: {
      injection: {
        timeout: SCORER_TIMEOUT_MS,
        use: {
          backend: 'vllm',
          url: stub.url,
          model: 'injection',
          timeout: SCORER_TIMEOUT_MS,
          retries: 0,
          positive_index: 1,
          // Every call reaches the stub, so that recovery is seen at once (the breaker has its own tests).
          circuit_breaker: { failures: 1_000_000, cooldown: 1 },
        },
      },
      jailbreak: { enabled: false },
      capability: { enabled: false },
    },
  };
}

beforeAll(async () => {
  tmp = await makeTempDir('agentwall-faults-');
  stub = await startScorerStub();
  closed = await startInProcess({ dir: `${tmp.path}`, config: config('deny') });
  open = await startInProcess({ dir: `${tmp.path}/open`, config: config('allow') });
  client = await connectHttp(new URL('/mcp', closed.url));
  openClient = await connectHttp(new URL('/mcp', open.url));
});

afterAll(async () => {
  await client?.close();
  await openClient?.close();
  await closed?.close();
  await open?.close();
  await stub?.close();
  await tmp?.remove();
});

const call = (c: HttpClient, name: string, args: Record<string, unknown> = {}) =>
  c.client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 });

async function expectEcho(c: HttpClient, text: string): Promise<void> {
  const r = await call(c, 'echo', { text });
  expect(r.isError ?? false, textOf(r)).toBe(false);
  expect(textOf(r)).toBe(`echo: ${text}`);
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}

describe('upstream faults', () => {
  it('crash mid-call: a JSON-RPC error naming the server, then the restarted server answers', async () => {
    const from = client.notifications.mark();
    const { value: err, ms } = await timed(() => rejectionOf(call(client, 'crash')));
    expect(err.message).toMatch(/upstream server "fault"/);
    expect(err.code).toBe(-32000);
    expect(ms).toBeLessThan(SLACK_MS);
    console.log(`crash: error after ${ms.toFixed(0)} ms: ${err.message}`);
    // agentwall restarts it and says so (the listing changed); the next call goes to the new process.
    await client.notifications.waitFor((n) => n.method === 'notifications/tools/list_changed', { from });
    await expectEcho(client, 'after the crash');
  });

  it('hang: a timeout error within the per-server timeout, and the server is still usable', async () => {
    const { value: err, ms } = await timed(() => rejectionOf(call(client, 'hang')));
    expect(err.message).toContain(`did not answer tools/call within ${UPSTREAM_TIMEOUT_MS} ms`);
    expect(ms).toBeGreaterThanOrEqual(UPSTREAM_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(UPSTREAM_TIMEOUT_MS + SLACK_MS);
    console.log(`hang: timed out after ${ms.toFixed(0)} ms (timeout ${UPSTREAM_TIMEOUT_MS} ms)`);
    await expectEcho(client, 'after the hang');
  });

  it('slow: an answer inside the timeout arrives; one past it is a timeout', async () => {
    const r = await call(client, 'slow', { ms: UPSTREAM_TIMEOUT_MS / 3 });
    expect(textOf(r)).toBe(`slept ${UPSTREAM_TIMEOUT_MS / 3} ms`);
    const err = await rejectionOf(call(client, 'slow', { ms: UPSTREAM_TIMEOUT_MS * 2 }));
    expect(err.message).toContain('did not answer tools/call');
    await expectEcho(client, 'after the slow call');
  });

  it('garbage on stdout: skipped, never relayed; the call and the next ones are answered', async () => {
    const from = client.incoming.mark();
    const r = await call(client, 'garbage', { lines: 14 });
    expect(textOf(r)).toBe('wrote 14 garbage lines');
    await expectEcho(client, 'after the garbage');
    // The stray "response" the server printed for a request nobody made did not reach the client.
    expect(client.incoming.since(from).filter((m) => 'id' in m && m.id === 'nobody-asked')).toEqual([]);
  });
});

describe('audit log faults', () => {
  it('forwards nothing while the audit log cannot be written, and resumes when it can', async () => {
    const checkpoints = closed.rt.sessionDeps.checkpoints as { audit?: AuditBarrier };
    const real = checkpoints.audit;
    checkpoints.audit = { isFailing: true, durable: () => Promise.resolve(false) };
    try {
      // Were `crash` forwarded, the server would exit and the error would be UPSTREAM_CLOSED.
      const err = await rejectionOf(call(client, 'crash'));
      expect(err.message).toContain('did not forward this call');
      expect(err.data).toMatchObject({ code: 'AUDIT_UNAVAILABLE', server: 'fault' });
    } finally {
      checkpoints.audit = real;
    }
    await expectEcho(client, 'audit log back');
  });
});

describe('scorer faults', () => {
  async function withScorer(mode: ScorerMode, c: HttpClient, text: string) {
    stub.mode = mode;
    const before = stub.served[mode];
    const { value, ms } = await timed(() => call(c, 'echo', { text }));
    expect(stub.served[mode], `the scorer was asked (${mode})`).toBeGreaterThan(before);
    return { result: value, ms };
  }

  it.each<ScorerMode>(['error', 'hang', 'garbage'])(
    'fails closed on a scorer that %s: the result is withheld within the scorer timeout',
    async (mode) => {
      const { result, ms } = await withScorer(mode, client, `scored while ${mode}`);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('stage:score:injection:error');
      expect(textOf(result)).not.toContain(`scored while ${mode}`);
      expect(ms).toBeLessThan(SCORER_TIMEOUT_MS + SLACK_MS);
      console.log(`scorer ${mode}: withheld after ${ms.toFixed(0)} ms`);
      // The fault ends: the next result is scored and passes.
      stub.mode = 'ok';
      await expectEcho(client, `after the scorer ${mode}`);
    },
  );

  it('fails open where pipeline.on_stage_error is allow, and logs the failure', async () => {
    const { result } = await withScorer('error', openClient, 'open while failing');
    expect(textOf(result)).toBe('echo: open while failing');
    expect(open.logText()).toContain('pipeline stage failed');
    stub.mode = 'ok';
    await expectEcho(openClient, 'open and healthy');
  });
});
