// Listings, resources, prompts and completions through ONE agentwall in front of three reference MCP
// servers from npm (everything, filesystem, memory), with the official SDK client over both fronts:
// `agentwall mcp --config` (stdio) and `agentwall serve` (Streamable HTTP). Listings are compared with
// what each server lists on its own.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MEMORY_TOOLS } from '../../src/memory/tools.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeMessage } from '../helpers/clients.js';
import { FRONT_KINDS, openFront, type Front } from '../helpers/fronts.js';
import { listEverything, withDirectClient, type Listings } from '../helpers/listings.js';
import { EVERYTHING_ENTRY } from '../helpers/paths.js';
import { rejectionOf, resourceText } from '../helpers/results.js';
import {
  SERVER_NAMES,
  prepareThreeServers,
  type ServerName,
  type ThreeServers,
} from '../helpers/three-servers.js';
import { covers } from './requirements.js';

/** What agentwall must list: each server's own listing, in configuration order, renamed into its namespace. */
function expectedListings(direct: Record<ServerName, Listings>) {
  const all = <T>(pick: (l: Listings) => T[], rename: (server: string, item: T) => T) =>
    SERVER_NAMES.flatMap((s) => pick(direct[s]).map((item) => rename(s, item)));
  return {
    tools: all(
      (l) => l.tools.items,
      (s, t) => ({ ...t, name: `${s}__${t.name}` }),
    ),
    resources: all(
      (l) => l.resources.items,
      (s, r) => ({ ...r, uri: `${s}+${r.uri}` }),
    ),
    resourceTemplates: all(
      (l) => l.resourceTemplates.items,
      (s, t) => ({ ...t, uriTemplate: `${s}+${t.uriTemplate}` }),
    ),
    prompts: all(
      (l) => l.prompts.items,
      (s, p) => ({ ...p, name: `${s}__${p.name}` }),
    ),
  };
}

describe.each(FRONT_KINDS)('listings, resources and prompts through one agentwall (%s front)', (kind) => {
  let fixture: ThreeServers;
  let front: Front;
  let direct: Record<ServerName, Listings>;

  beforeAll(async () => {
    fixture = await prepareThreeServers();
    const [everything, filesystem, memory] = await Promise.all(
      SERVER_NAMES.map((s) => withDirectClient(fixture.servers[s], fixture.hooks, listEverything)),
    );
    direct = { everything: everything!, filesystem: filesystem!, memory: memory! };
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

  it('advertises itself with the union of the upstream capabilities', () => {
    covers('capabilities.union');
    expect(front.client.getServerVersion()?.name).toBe('agentwall');
    const caps = front.client.getServerCapabilities();
    expect(caps?.tools).toEqual({ listChanged: true });
    expect(caps?.prompts).toEqual({ listChanged: true });
    expect(caps?.resources).toEqual({ listChanged: true, subscribe: true });
    expect(caps?.completions).toBeDefined();
    expect(caps?.logging).toBeDefined();
    // With several servers, each one's instructions get a heading with its name.
    expect(front.client.getInstructions()).toContain('## everything');
  });

  it('lists every tool, resource, template and prompt of every server, namespaced, across pages', async () => {
    covers('listing.union', 'listing.pagination', 'naming.prefixed', 'front.stdio-config', 'front.http');
    const listed = await listEverything(front.client);
    const expected = expectedListings(direct);
    // Each server offers tools; the aggregate must be exactly their union, in configuration order.
    expect(direct.filesystem.tools.items.length).toBeGreaterThan(0);
    expect(direct.memory.tools.items.length).toBeGreaterThan(0);
    // Then agentwall's built-in memory server, on by default, under its tools' own names (naming.ts).
    expect(listed.tools.items.slice(0, expected.tools.length)).toEqual(expected.tools);
    expect(listed.tools.items.slice(expected.tools.length).map((t) => t.name)).toEqual(
      MEMORY_TOOLS.map((t) => t.name),
    );
    expect(listed.resources.items).toEqual(expected.resources);
    expect(listed.resourceTemplates.items).toEqual(expected.resourceTemplates);
    expect(listed.prompts.items).toEqual(expected.prompts);
    // Pagination spans servers (one cursor per server boundary here), and a page never mixes two servers.
    expect(listed.tools.pages.length).toBeGreaterThanOrEqual(SERVER_NAMES.length);
    for (const page of listed.tools.pages) {
      const origin = (name: string) => (name.includes('__') ? name.split('__')[0] : 'built-in');
      expect(new Set(page.map((t) => origin(t.name))).size).toBeLessThanOrEqual(1);
    }
    const names = listed.tools.items.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('refuses a cursor it did not hand out with invalid params', async () => {
    covers('call.unknown');
    const err = await rejectionOf(front.client.listTools({ cursor: 'not-a-cursor' }));
    expect(err).toMatchObject({ code: -32602 });
  });

  it('answers an unknown tool with invalid params, naming it', async () => {
    covers('call.unknown');
    const err = await rejectionOf(front.client.callTool({ name: 'nosuch__tool', arguments: {} }));
    expect(err).toMatchObject({ code: -32602 });
    expect(err.message).toContain('nosuch__tool');
  });

  it('reads a static and a templated resource through namespaced URIs', async () => {
    covers('resources.read', 'naming.prefixed');
    const uri = 'everything+demo://resource/static/document/architecture.md';
    const read = await front.client.readResource({ uri });
    const onDisk = await readFile(join(dirname(EVERYTHING_ENTRY), 'docs', 'architecture.md'), 'utf8');
    expect(read.contents).toHaveLength(1);
    expect(read.contents[0]).toMatchObject({ uri, text: onDisk });

    const templated = await front.client.readResource({ uri: 'everything+demo://resource/dynamic/text/7' });
    expect(templated.contents[0]?.uri).toBe('everything+demo://resource/dynamic/text/7');
    expect(resourceText(templated.contents[0])).toMatch(/^Resource 7: /);

    // A second server's resource, from the same listing.
    const graph = await front.client.readResource({ uri: 'memory+memory://knowledge-graph' });
    expect(graph.contents[0]?.uri).toBe('memory+memory://knowledge-graph');
    expect(JSON.parse(resourceText(graph.contents[0]) ?? '')).toHaveProperty('entities');
  });

  // MCP spec (2025-06-18), tools: a `resource_link` in a tool result is fetched with resources/read.
  it('namespaces resource links in tool results, so that they can be read through agentwall', async () => {
    covers('resources.links');
    const result = await front.client.callTool({
      name: 'everything__get-resource-links',
      arguments: { count: 2 },
    });
    const links = ((result as { content?: { type: string; uri?: string }[] }).content ?? []).filter(
      (c) => c.type === 'resource_link',
    );
    expect(links).toHaveLength(2);
    for (const link of links) {
      expect(link.uri).toMatch(/^everything\+demo:\/\//);
      const read = await front.client.readResource({ uri: link.uri! });
      expect(read.contents[0]?.uri).toBe(link.uri);
    }
  });

  it('namespaces the URI of a resource embedded in a prompt', async () => {
    covers('resources.links');
    const prompt = await front.client.getPrompt({
      name: 'everything__resource-prompt',
      arguments: { resourceType: 'Text', resourceId: '3' },
    });
    const embedded = prompt.messages
      .map((m) => m.content)
      .find((c): c is Extract<typeof c, { type: 'resource' }> => c.type === 'resource');
    expect(embedded?.resource.uri).toBe('everything+demo://resource/dynamic/text/3');
  });

  it('answers a resource URI without a known server prefix with resource-not-found', async () => {
    covers('call.unknown');
    for (const uri of ['demo://resource/static/document/architecture.md', 'nosuch+demo://x']) {
      const err = await rejectionOf(front.client.readResource({ uri }));
      expect(err).toMatchObject({ code: -32002 });
    }
  });

  it('gets prompts with and without arguments', async () => {
    covers('prompts.get');
    const simple = await front.client.getPrompt({ name: 'everything__simple-prompt' });
    expect(simple.messages[0]?.content).toEqual({
      type: 'text',
      text: 'This is a simple prompt without arguments.',
    });
    const args = await front.client.getPrompt({
      name: 'everything__args-prompt',
      arguments: { city: 'Paris', state: 'Texas' },
    });
    expect(args.messages[0]?.content).toMatchObject({ text: "What's weather in Paris, Texas?" });
  });

  it('completes prompt and resource-template arguments', async () => {
    covers('completion.route');
    const department = await front.client.complete({
      ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
      argument: { name: 'department', value: 'Eng' },
    });
    expect(department.completion.values).toEqual(['Engineering']);
    const person = await front.client.complete({
      ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
      argument: { name: 'name', value: '' },
      context: { arguments: { department: 'Sales' } },
    });
    expect(person.completion.values).toEqual(['David', 'Eve', 'Frank']);
    const resourceId = await front.client.complete({
      ref: { type: 'ref/resource', uri: 'everything+demo://resource/dynamic/text/{resourceId}' },
      argument: { name: 'resourceId', value: '12' },
    });
    expect(resourceId.completion.values).toEqual(['12']);
  });

  it('relays resource-updated notifications of a subscription with the namespaced URI', async () => {
    covers('resources.subscribe');
    const uri = 'everything+demo://resource/static/document/features.md';
    await front.client.subscribeResource({ uri });
    const from = front.notifications.mark();
    await front.client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
    try {
      const updated = await front.notifications.waitFor(
        (n) => n.method === 'notifications/resources/updated',
        { from, what: 'notifications/resources/updated', describe: describeMessage },
      );
      expect(updated.params).toMatchObject({ uri });
    } finally {
      await front.client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
      await front.client.unsubscribeResource({ uri });
    }
  });

  it('routes subscriptions to the server that owns the URI (memory: a mutation notifies the graph)', async () => {
    covers('resources.subscribe');
    const uri = 'memory+memory://knowledge-graph';
    await front.client.subscribeResource({ uri });
    const from = front.notifications.mark();
    try {
      await front.client.callTool({
        name: 'memory__create_entities',
        arguments: { entities: [{ name: `subscribed-${kind}`, entityType: 'test', observations: [] }] },
      });
      const updated = await front.notifications.waitFor(
        (n) => n.method === 'notifications/resources/updated' && n.params?.uri === uri,
        { from, what: `notifications/resources/updated for ${uri}`, describe: describeMessage },
      );
      expect(updated.params).toEqual({ uri });
    } finally {
      await front.client.unsubscribeResource({ uri });
    }
  });
});
