// Tool calls through ONE agentwall in front of three reference MCP servers from npm (everything,
// filesystem, memory), with the official SDK client over both fronts: `agentwall mcp --config` (stdio)
// and `agentwall serve` (Streamable HTTP). Calls on each server, progress, cancellation, and what
// upstreams ask of the client (elicitation, sampling, roots) or tell it (log messages).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ElicitRequest, Notification } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLED_MODEL, SAMPLED_TEXT, describeMessage, isApprovalRequest } from '../helpers/clients.js';
import { FRONT_KINDS, openFront, type Front } from '../helpers/fronts.js';
import { rejectionOf, textOf } from '../helpers/results.js';
import { ELICITED_NAME, prepareThreeServers, type ThreeServers } from '../helpers/three-servers.js';
import { covers } from './requirements.js';

describe.each(FRONT_KINDS)('tool calls through one agentwall (%s front)', (kind) => {
  let fixture: ThreeServers;
  let front: Front;

  beforeAll(async () => {
    fixture = await prepareThreeServers();
    front = await openFront(kind, {
      config: { servers: fixture.servers },
      dir: fixture.tmp.path,
      hooks: fixture.hooks,
    });
  });

  afterAll(async () => {
    await front?.close();
    await fixture?.tmp.remove();
  });

  it('calls everything: echo and get-sum', async () => {
    covers('call.route');
    const echo = await front.client.callTool({
      name: 'everything__echo',
      arguments: { message: `hi ${kind}` },
    });
    expect(textOf(echo)).toBe(`Echo: hi ${kind}`);
    const sum = await front.client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 40 } });
    expect(textOf(sum)).toContain('is 42');
  });

  it('calls filesystem: writes a file in the allowed directory and reads it back', async () => {
    covers('call.route');
    const path = join(fixture.filesDir, 'note.txt');
    const content = `written through agentwall over ${kind}`;
    const write = await front.client.callTool({
      name: 'filesystem__write_file',
      arguments: { path, content },
    });
    expect(write.isError ?? false).toBe(false);
    expect(await readFile(path, 'utf8')).toBe(content);
    const read = await front.client.callTool({ name: 'filesystem__read_text_file', arguments: { path } });
    expect(textOf(read)).toBe(content);
    const outside = await front.client.callTool({
      name: 'filesystem__read_text_file',
      arguments: { path: fixture.memoryFile },
    });
    expect(outside.isError).toBe(true);
  });

  it('calls memory: creates an entity and reads the graph back', async () => {
    covers('call.route');
    const entity = { name: `e2e-${kind}`, entityType: 'test', observations: ['seen through agentwall'] };
    const created = await front.client.callTool({
      name: 'memory__create_entities',
      arguments: { entities: [entity] },
    });
    expect(created.isError ?? false).toBe(false);
    const graph = await front.client.callTool({ name: 'memory__read_graph', arguments: {} });
    expect(textOf(graph)).toContain(`e2e-${kind}`);
    expect(await readFile(fixture.memoryFile, 'utf8')).toContain(`e2e-${kind}`);
  });

  it('keeps concurrent calls to different servers apart', async () => {
    covers('call.route');
    const calls = Array.from({ length: 12 }, (_, i) =>
      i % 3 === 0
        ? front.client
            .callTool({ name: 'everything__get-sum', arguments: { a: i, b: 1000 } })
            .then((r) => expect(textOf(r)).toContain(`is ${i + 1000}`))
        : i % 3 === 1
          ? front.client
              .callTool({ name: 'everything__echo', arguments: { message: `parallel ${i}` } })
              .then((r) => expect(textOf(r)).toBe(`Echo: parallel ${i}`))
          : front.client
              .callTool({ name: 'filesystem__list_allowed_directories', arguments: {} })
              .then((r) => expect(textOf(r)).toContain(fixture.filesDir)),
    );
    await Promise.all(calls);
    await front.client.ping();
  });

  it('relays progress under the client progress token, in order, before the result', async () => {
    covers('progress.relay');
    const from = front.incoming.mark();
    const seen: number[] = [];
    const result = await front.client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 0.4, steps: 4 } },
      undefined,
      { onprogress: (p) => seen.push(p.progress) },
    );
    expect(textOf(result)).toContain('Long running operation completed');
    expect(seen.length).toBeGreaterThanOrEqual(3);

    // On the wire: the SDK client drops a progress notification that arrives in the same read as its
    // response (typescript-sdk#2580), so what agentwall sent is checked on the transport instead.
    const wire = front.incoming.since(from);
    const response = wire.findIndex(
      (m) => 'result' in m && textOf(m.result).includes('Long running operation completed'),
    );
    expect(response).toBeGreaterThanOrEqual(0);
    const token = (wire[response] as { id: unknown }).id; // the SDK uses the request id as the token
    const progress = wire
      .map((m, at) => ({ m, at }))
      .filter(({ m }) => 'method' in m && m.method === 'notifications/progress')
      .map(({ m, at }) => ({ at, params: (m as { params: Record<string, unknown> }).params }));
    expect(progress.map((p) => p.params)).toEqual(
      [1, 2, 3, 4].map((i) => ({ progressToken: token, progress: i, total: 4 })),
    );
    expect(progress.every((p) => p.at < response)).toBe(true);
  });

  it('cancels a long call when the client aborts it, and the session keeps working', async () => {
    covers('cancel.relay');
    const abort = new AbortController();
    let progressed = 0;
    const call = front.client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 60, steps: 60 } },
      undefined,
      {
        signal: abort.signal,
        // Abort once the call is known to be running upstream.
        onprogress: () => {
          progressed += 1;
          abort.abort(new Error('cancelled by the e2e test'));
        },
      },
    );
    const err = await rejectionOf(call);
    expect(err.message).toContain('cancelled by the e2e test');
    expect(progressed).toBeGreaterThan(0);
    const after = await front.client.callTool({
      name: 'everything__echo',
      arguments: { message: 'still here' },
    });
    expect(textOf(after)).toBe('Echo: still here');
  });

  it('relays an elicitation request to the client and returns its answer to the tool', async () => {
    covers('relay.elicitation');
    const from = front.requests.mark();
    const result = await front.client.callTool({
      name: 'everything__trigger-elicitation-request',
      arguments: {},
    });
    expect(textOf(result)).toContain(`- Name: ${ELICITED_NAME}`);
    expect(textOf(result)).toContain('"action": "accept"');
    const asked = front.requests.since(
      from,
      (r) => r.method === 'elicitation/create' && !isApprovalRequest(r.params as ElicitRequest['params']),
    );
    expect(asked).toHaveLength(1);
    expect(asked[0]?.params).toMatchObject({ message: 'Please provide inputs for the following fields:' });
  });

  it('relays a sampling request to the client and returns its answer to the tool', async () => {
    covers('relay.sampling');
    const from = front.requests.mark();
    const result = await front.client.callTool({
      name: 'everything__trigger-sampling-request',
      arguments: { prompt: `sample over ${kind}`, maxTokens: 20 },
    });
    expect(textOf(result)).toContain(SAMPLED_TEXT);
    expect(textOf(result)).toContain(SAMPLED_MODEL);
    const asked = front.requests.since(from, (r) => r.method === 'sampling/createMessage');
    expect(asked).toHaveLength(1);
    expect(JSON.stringify(asked[0]?.params)).toContain(`sample over ${kind}`);
  });

  it('relays log messages of an upstream to the client', async () => {
    covers('notify.logging');
    await front.client.setLoggingLevel('debug');
    const from = front.notifications.mark();
    await front.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} });
    try {
      // everything picks a random level: "Debug-level message" … "Alert level-message". Other log
      // messages (e.g. "Roots updated") may come too; the simulated one is the one to wait for.
      const simulated = (n: Notification) =>
        n.method === 'notifications/message' && /level.message/i.test(String(n.params?.data));
      const message = await front.notifications.waitFor(simulated, {
        from,
        what: 'a simulated notifications/message from everything',
        describe: describeMessage,
      });
      expect(message.params).toMatchObject({ level: expect.any(String) });
    } finally {
      await front.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} });
    }
  });

  // Last: it widens what the filesystem server may touch (the old directory stays inside the new root).
  it('relays roots requests, and roots/list_changed reaches the upstreams', async () => {
    covers('relay.roots');
    const listed = await front.client.callTool({ name: 'everything__get-roots-list', arguments: {} });
    expect(textOf(listed)).toContain(fixture.initialRoots[0]!.uri);

    const before = await front.client.callTool({
      name: 'filesystem__list_allowed_directories',
      arguments: {},
    });
    expect(textOf(before)).toContain(fixture.filesDir);
    const from = front.stderr.mark();
    fixture.setRoots([{ uri: pathToFileURL(fixture.tmp.path).href, name: 'e2e-tmp' }]);
    await front.client.sendRootsListChanged();
    // The filesystem server asks for the roots again and says so on its stderr, which agentwall logs.
    await front.stderr.waitFor((line) => line.includes('Updated allowed directories from MCP roots'), {
      from,
      what: 'the filesystem server to apply the new roots',
    });
    const after = await front.client.callTool({
      name: 'filesystem__list_allowed_directories',
      arguments: {},
    });
    expect(textOf(after)).toContain(fixture.tmp.path);
    expect(textOf(after)).not.toContain(fixture.filesDir);
  });
});
