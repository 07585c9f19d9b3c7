// A stdio upstream that crashes is restarted with backoff: the call in flight fails with an error naming
// the server, calls meanwhile fail fast with -32000 "unavailable", the other servers keep working, and
// after the restart the client is told that the listings changed and calls succeed again. Also: a
// client's cancellation reaches the upstream (the fixture counts cancelled calls).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { describeMessage } from '../helpers/clients.js';
import { FRONT_KINDS, openFront, type Front } from '../helpers/fronts.js';
import { rejectionOf, resourceText, textOf } from '../helpers/results.js';
import { crashyServer, memoryServer } from '../helpers/servers.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { covers } from './requirements.js';
import { join } from 'node:path';

/** Long enough that the calls right after the crash land while the server is down. */
const RESTART_DELAY_MS = 2_000;
/** crashy's per-request timeout (`servers.crashy.timeout`). */
const CALL_TIMEOUT_MS = 1_500;

describe.each(FRONT_KINDS)('upstream crash and restart (%s front)', (kind) => {
  let tmp: TempDir;
  let front: Front;

  beforeAll(async () => {
    tmp = await makeTempDir();
    const config: ConfigInput = {
      servers: {
        crashy: { ...crashyServer(), timeout: `${CALL_TIMEOUT_MS}ms` },
        memory: memoryServer(join(tmp.path, 'memory.jsonl')),
      },
      upstreams: { restart_initial_delay: `${RESTART_DELAY_MS}ms`, restart_max_delay: '5s' },
    };
    front = await openFront(kind, { config, dir: tmp.path });
  });

  afterAll(async () => {
    await front?.close();
    await tmp?.remove();
  });

  const call = (name: string, args: Record<string, unknown> = {}) =>
    front.client.callTool({ name, arguments: args });

  it('passes calls through before anything goes wrong', async () => {
    covers('call.route');
    expect(textOf(await call('crashy__echo', { text: 'before' }))).toBe('echo: before');
  });

  it('reports the crash, fails fast while down, and recovers with a list_changed notification', async () => {
    covers('upstream.crash', 'upstream.unavailable', 'upstream.restart', 'notify.list-changed');
    const pidBefore = textOf(await call('crashy__pid'));
    const from = front.notifications.mark();

    const crash = await rejectionOf(call('crashy__crash'));
    expect(crash).toMatchObject({ code: -32000 });
    expect(crash.message).toContain('upstream server "crashy"');
    expect(crash.data).toMatchObject({ server: 'crashy', code: 'UPSTREAM_CLOSED' });

    // Within the backoff delay: refused at once, naming the server; the other upstream is unaffected.
    const down = await rejectionOf(call('crashy__echo', { text: 'while down' }));
    expect(down).toMatchObject({ code: -32000 });
    expect(down.message).toMatch(/upstream server "crashy" is unavailable/);
    expect(down.data).toMatchObject({ server: 'crashy', code: 'UPSTREAM_UNAVAILABLE' });
    const graph = await call('memory__read_graph');
    expect(graph.isError ?? false).toBe(false);
    const listedWhileDown = await front.client.listTools();
    expect(listedWhileDown.tools.map((t) => t.name)).not.toContain('crashy__echo');

    // crashy offers tools, resources and prompts: each listing is announced as changed.
    for (const kind of ['tools', 'resources', 'prompts']) {
      await front.notifications.waitFor((n) => n.method === `notifications/${kind}/list_changed`, {
        from,
        timeoutMs: RESTART_DELAY_MS + 20_000,
        what: `notifications/${kind}/list_changed after the restart`,
        describe: describeMessage,
      });
    }
    expect(textOf(await call('crashy__echo', { text: 'after' }))).toBe('echo: after');
    const pidAfter = textOf(await call('crashy__pid'));
    expect(pidAfter).not.toBe(pidBefore);
    const listed = await front.client.listTools();
    expect(listed.tools.map((t) => t.name)).toContain('crashy__echo');
    const resource = await front.client.readResource({ uri: 'crashy+crashy://pid' });
    expect(resourceText(resource.contents[0])).toBe(pidAfter);
    const prompt = await front.client.getPrompt({ name: 'crashy__greet' });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: `hello from ${pidAfter}` });
  });

  it('cancels the upstream request when the client aborts its call', async () => {
    covers('cancel.relay');
    const abort = new AbortController();
    const hang = front.client.callTool({ name: 'crashy__hang', arguments: {} }, undefined, {
      signal: abort.signal,
      // The fixture reports progress once the call has reached it; only then is it cancelled.
      onprogress: () => abort.abort(new Error('cancelled by the e2e test')),
    });
    const err = await rejectionOf(hang);
    expect(err.message).toContain('cancelled by the e2e test');
    // The fixture answers once it has seen a `hang` call aborted by notifications/cancelled.
    const cancelled = await call('crashy__cancelled');
    expect(cancelled.isError ?? false).toBe(false);
    expect(textOf(cancelled)).toBe('cancelled: 1');
  });

  it('times out a call the upstream never answers, naming the server, and cancels it upstream', async () => {
    covers('upstream.timeout');
    const before = Number(textOf(await call('crashy__cancelled', { atLeast: 0 })).split(': ')[1]);
    const err = await rejectionOf(call('crashy__hang'));
    expect(err).toMatchObject({ code: -32001 });
    expect(err.message).toContain(
      `upstream server "crashy" did not answer tools/call within ${CALL_TIMEOUT_MS} ms`,
    );
    expect(err.data).toMatchObject({ server: 'crashy', code: 'UPSTREAM_TIMEOUT' });
    expect(textOf(await call('crashy__cancelled', { atLeast: before + 1 }))).toBe(`cancelled: ${before + 1}`);
  });
});

describe.each(FRONT_KINDS)('an upstream that cannot start (%s front)', (kind) => {
  let tmp: TempDir;
  let front: Front;

  beforeAll(async () => {
    tmp = await makeTempDir();
    const config: ConfigInput = {
      servers: {
        // Exits at once, before it ever speaks MCP.
        broken: { command: process.execPath, args: ['-e', 'process.exit(7)'] },
        crashy: crashyServer(),
      },
      upstreams: { restart_initial_delay: '5s', restart_max_delay: '30s' },
    };
    front = await openFront(kind, { config, dir: tmp.path });
  });

  afterAll(async () => {
    await front?.close();
    await tmp?.remove();
  });

  it('opens the session with the servers that started, and names the missing one when it is called', async () => {
    covers('upstream.start-failure', 'upstream.unavailable');
    const listed = await front.client.listTools();
    const names = listed.tools.map((t) => t.name);
    expect(names).toContain('crashy__echo');
    expect(names.some((n) => n.startsWith('broken__'))).toBe(false);
    expect(textOf(await call('crashy__echo', { text: 'fine' }))).toBe('echo: fine');

    const err = await rejectionOf(call('broken__anything'));
    expect(err).toMatchObject({ code: -32000 });
    expect(err.message).toMatch(/upstream server "broken" is unavailable/);
  });

  const call = (name: string, args: Record<string, unknown> = {}) =>
    front.client.callTool({ name, arguments: args });
});
