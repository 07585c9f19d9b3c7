// The built-in memory server's tools, with the official SDK client over an in-memory transport (as the
// front connects it), a real store and a real pipeline.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Session } from '../../src/core/session.js';
import { SessionReads } from '../../src/memory/provenance.js';
import { EmbeddingCache } from '../../src/memory/search.js';
import { createMemoryServer } from '../../src/memory/server.js';
import type { TextEmbedder } from '../../src/ml/scorer.js';
import { memoryFixture, newSession, silent, taintFromWeb, type MemoryFixture } from './fixtures.js';

let fx: MemoryFixture;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await fx?.close();
});

const RULES = `
rules:
  - { id: label-untrusted, on: memory_write, when: '"untrusted_content" in session.labels', action: annotate, labels: [from_untrusted] }
`;

async function connect(session: Session, reads: SessionReads, extra: { embedder?: TextEmbedder } = {}) {
  const gate = await fx.gate(RULES);
  const server = createMemoryServer(
    {
      gate,
      reads,
      sharedNamespaces: ['team', 'project:*'],
      maxValueBytes: 64,
      log: silent,
      ...(extra.embedder ? { embedder: extra.embedder, embeddings: new EmbeddingCache() } : {}),
    },
    session,
    () => undefined,
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(clientSide);
  clients.push(client);
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  return { client, call };
}

const text = (r: CallToolResult) => (r.content[0] as { text: string }).text;
const data = <T = Record<string, unknown>>(r: CallToolResult) => r.structuredContent as T;

describe('memory server', () => {
  it('lists six tools, with annotations that keep the gate honest', async () => {
    fx = memoryFixture();
    const { client } = await connect(newSession(), new SessionReads());
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'memory_delete',
      'memory_history',
      'memory_list',
      'memory_read',
      'memory_search',
      'memory_write',
    ]);
    expect(tools.find((t) => t.name === 'memory_read')?.annotations?.readOnlyHint).toBe(true);
    expect(tools.find((t) => t.name === 'memory_write')?.annotations?.readOnlyHint).toBe(false);
  });

  it('writes to the principal’s own namespace by default, to shared ones when configured, never to another’s', async () => {
    fx = memoryFixture();
    const { call } = await connect(newSession('s1', 'alice'), new SessionReads());
    expect(data(await call('memory_write', { key: 'k', value: 'v' }))).toMatchObject({
      namespace: 'principal:alice',
      seq: 1,
    });
    expect(data(await call('memory_write', { key: 'k', value: 'v', namespace: 'team' }))).toMatchObject({
      namespace: 'team',
    });
    expect(data(await call('memory_write', { key: 'k', value: 'v', namespace: 'project:x' }))).toMatchObject({
      namespace: 'project:x',
    });
    const refused = await call('memory_write', { key: 'k', value: 'v', namespace: 'principal:bob' });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/namespace "principal:bob" is not available/);
    expect((await call('memory_read', { key: 'k', namespace: 'principal:bob' })).isError).toBe(true);
  });

  it('records what the session read (read, list, search) in the provenance of its next write', async () => {
    fx = memoryFixture();
    const reads = new SessionReads();
    const a = await connect(newSession('sA'), reads);
    const first = data<{ id: number }>(
      await a.call('memory_write', { key: 'fact', value: 'the sky is green' }),
    );
    const other = data<{ id: number }>(await a.call('memory_write', { key: 'other', value: 'water is dry' }));
    const session = newSession('sB');
    taintFromWeb(session);
    const b = await connect(session, reads);
    expect(data(await b.call('memory_read', { key: 'fact' }))).toMatchObject({
      found: true,
      value: 'the sky is green',
    });
    await b.call('memory_search', { query: 'water' });
    const derived = await b.call('memory_write', { key: 'summary', value: 'odd facts' });
    expect(data(derived)).toMatchObject({ labels: ['from_untrusted'] });
    const stored = fx.memory.get('principal:alice', 'summary');
    expect(stored?.derived_from).toEqual([
      { type: 'memory', id: first.id },
      { type: 'memory', id: other.id },
      expect.objectContaining({ type: 'content', server: 'web', url: 'https://evil.example/page' }),
    ]);
  });

  it('lists live keys, deletes with a tombstone, and shows history without revoked values', async () => {
    fx = memoryFixture();
    const { call } = await connect(newSession(), new SessionReads());
    await call('memory_write', { key: 'a', value: 'one' });
    await call('memory_write', { key: 'a', value: 'two' });
    await call('memory_write', { key: 'b', value: 'bee' });
    expect(text(await call('memory_list', {}))).toBe('a: two\nb: bee');
    expect(data(await call('memory_delete', { key: 'b' }))).toMatchObject({ seq: 2 });
    expect(text(await call('memory_list', {}))).toBe('a: two');
    const newest = fx.memory.history('principal:alice', 'a')[0];
    await fx.memory.revoke({ ids: [newest?.id ?? 0] }, { by: 'test' });
    expect(data(await call('memory_read', { key: 'a' }))).toMatchObject({ value: 'one' });
    const history = data<{ versions: Record<string, unknown>[] }>(await call('memory_history', { key: 'a' }));
    expect(history.versions).toEqual([
      expect.not.objectContaining({ value: expect.anything() }),
      expect.objectContaining({ seq: 1, status: 'active', value: 'one' }),
    ]);
    expect(history.versions[0]).toMatchObject({ seq: 2, status: 'revoked' });
  });

  it('refuses values over the configured size and bad arguments as tool errors', async () => {
    fx = memoryFixture();
    const { call } = await connect(newSession(), new SessionReads());
    expect(text(await call('memory_write', { key: 'k', value: 'x'.repeat(65) }))).toMatch(
      /larger than 64 bytes/,
    );
    expect(text(await call('memory_write', { key: '', value: 'x' }))).toMatch(
      /`key` must be a non-empty string/,
    );
    expect(fx.memory.namespaces()).toEqual([]);
  });

  it('searches lexically (BM25) over own and shared namespaces', async () => {
    fx = memoryFixture();
    const { call } = await connect(newSession(), new SessionReads());
    await call('memory_write', { key: 'deploy', value: 'deploy with helm to staging' });
    await call('memory_write', { key: 'lunch', value: 'lunch is at noon' });
    await call('memory_write', { key: 'ci', value: 'staging deploy runs nightly', namespace: 'team' });
    const r = data<{ mode: string; results: { key: string }[] }>(
      await call('memory_search', { query: 'staging deploy' }),
    );
    expect(r.mode).toBe('lexical');
    expect(r.results.map((x) => x.key).sort()).toEqual(['ci', 'deploy']);
    const own = data<{ results: { key: string }[] }>(
      await call('memory_search', { query: 'staging', namespace: 'team' }),
    );
    expect(own.results.map((x) => x.key)).toEqual(['ci']);
  });

  it('ranks by embedding when an embedder is given (and embeds each version once)', async () => {
    fx = memoryFixture();
    const embedded: string[] = [];
    // A toy embedder: one dimension per word of a tiny vocabulary.
    const vocab = ['cat', 'dog', 'car'];
    const embedder: TextEmbedder = {
      name: 'toy',
      dim: vocab.length,
      embed: (texts) => {
        embedded.push(...texts);
        return Promise.resolve(
          texts.map((t) => Float32Array.from(vocab.map((w) => (t.includes(w) ? 1 : 0)))),
        );
      },
      close: () => Promise.resolve(),
    };
    const { call } = await connect(newSession(), new SessionReads(), { embedder });
    await call('memory_write', { key: 'pets', value: 'a cat and a dog' });
    await call('memory_write', { key: 'ride', value: 'a car' });
    const r = data<{ mode: string; results: { key: string }[] }>(
      await call('memory_search', { query: 'kitten cat' }),
    );
    expect(r).toMatchObject({ mode: 'embedding', results: [{ key: 'pets' }] });
    await call('memory_search', { query: 'car' });
    expect(embedded.filter((t) => t.includes('a cat and a dog'))).toHaveLength(1);
  });
});
