import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildLlmCheckpoints } from '../../src/cli/compose.js';
import { defaultConfig } from '../../src/config/index.js';
import { PolicyHolder } from '../../src/policy/holder.js';
import { defaultBundlePath } from '../../src/policy/paths.js';
import type { AuditRecord } from '../../src/state/audit-log.js';
import { openStore, type Store } from '../../src/state/store.js';
import { startHarness, type Harness } from './harness.js';

/** Rules on LLM traffic beside the shipped bundle (whose `ungrounded-answer` is the one under test). */
const BUNDLE = `
rules:
  - id: no-project-zeus
    on: llm_request
    when: llm.user_text.contains("project zeus")
    action: deny
    message: project zeus is not discussed here
  - id: urgent-request
    on: llm_request
    when: signals.keywords.urgent && llm.model == "qwen3-8b"
    action: annotate
  - id: codename-in-answer
    on: llm_response
    when: llm.answer_text.contains("ZEUS-7")
    action: deny
    message: the answer names a codename
`;

const CONTEXT = 'The Eiffel Tower is 330 metres tall and was completed in 1889 in Paris.';
const UNGROUNDED =
  'Bananas grow on the moon during winter. Penguins operate most submarines today. Jupiter exports copper to Venus.';
const GROUNDED = 'The Eiffel Tower is 330 metres tall. It was completed in 1889 in Paris.';

/** A conversation whose last turn carries a tool result: the context the answer is grounded in. */
const withToolResult = (question: string) => [
  { role: 'user' as const, content: question },
  {
    role: 'assistant' as const,
    content: null,
    tool_calls: [
      { id: 'call_1', type: 'function' as const, function: { name: 'search', arguments: '{"q":"eiffel"}' } },
    ],
  },
  { role: 'tool' as const, tool_call_id: 'call_1', content: CONTEXT },
];

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let dir: string;
let store: Store;
let policy: PolicyHolder;
let h: Harness;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agentwall-llm-events-'));
  const bundle = join(dir, 'llm.yaml');
  writeFileSync(bundle, BUNDLE);
  store = openStore(join(dir, 'data'));
  policy = await PolicyHolder.load({ files: [defaultBundlePath(), bundle] });
  const llm = buildLlmCheckpoints({ config: defaultConfig(), store, policy, log: pino({ level: 'silent' }) });
  h = await startHarness({
    routing: {
      models: { 'qwen3-8b': { upstreams: ['a'] } },
      default_model: 'qwen3-8b',
      signals: { keywords: [{ name: 'urgent', any: ['urgent'] }] },
    },
    root: store.root,
    llmRequest: llm.request,
    llmResponse: llm.response,
  });
});

afterAll(async () => {
  await h.close();
  policy.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  h.upstreams[0]!.chat.reply = (body) => {
    const messages = body.messages as { role: string; content?: unknown }[];
    return { content: `echo: ${String(messages.findLast((m) => m.role === 'user')?.content)}` };
  };
});

/** The audit records of `kind` whose user turn hashes to that of `userText` (waits for the deferred sink). */
async function audited(kind: 'llm_request' | 'llm_response', userText: string): Promise<AuditRecord[]> {
  const digest = sha256(userText);
  let found: AuditRecord[] = [];
  await vi.waitFor(async () => {
    await store.audit.flushed();
    found = [...store.audit.records()].filter(
      (r) => r.kind === kind && (r.detail?.user_text as { sha256?: string } | undefined)?.sha256 === digest,
    );
    expect(found.length).toBeGreaterThan(0);
  });
  return found;
}

describe('llm_request rules', () => {
  it('a deny rule refuses chat, completions and responses with a 403 naming the rule, before any upstream call', async () => {
    const before = h.upstreams[0]!.requests.length;
    const chat = h.client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'what is the budget of project zeus?' }],
    });
    await expect(chat).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(chat).rejects.toMatchObject({
      status: 403,
      code: 'agentwall_denied',
      type: 'permission_error',
      message: expect.stringContaining('no-project-zeus: project zeus is not discussed here'),
    });
    const completion = h.client.completions.create({ model: 'auto', prompt: 'tell me of project zeus' });
    await expect(completion).rejects.toMatchObject({ status: 403, code: 'agentwall_denied' });
    const response = h.client.responses.create({ model: 'auto', input: 'summarise project zeus' });
    await expect(response).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining('no-project-zeus'),
    });
    expect(h.upstreams[0]!.requests.length).toBe(before);

    const [record] = await audited('llm_request', 'what is the budget of project zeus?');
    expect(record).toMatchObject({
      action: 'deny',
      server: 'llm',
      subject: 'qwen3-8b',
      rules: [{ id: 'no-project-zeus', action: 'deny', mode: 'enforce' }],
      detail: { endpoint: 'chat', decision: 'default', messages: 1, tools: 0 },
    });
  });

  it('an annotate rule lets the request go and names itself in x-agentwall-flags', async () => {
    const { data, response } = await h.client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'urgent: hello' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('echo: urgent: hello');
    expect(response.headers.get('x-agentwall-flags')).toBe('urgent-request');
    const plain = await h.client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    expect(plain.response.headers.get('x-agentwall-flags')).toBeNull();
    const [record] = await audited('llm_request', 'urgent: hello');
    expect(record).toMatchObject({ action: 'annotate', rules: [{ id: 'urgent-request' }] });
  });
});

describe('llm_response rules', () => {
  it('flags an answer its tool results do not support (ungrounded-answer) and audits the verdict', async () => {
    h.upstreams[0]!.chat.reply = () => ({ content: UNGROUNDED });
    const question = 'How tall is the Eiffel Tower? (ungrounded)';
    const { data, response } = await h.client.chat.completions
      .create({ model: 'auto', messages: withToolResult(question) })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe(UNGROUNDED);
    expect(response.headers.get('x-agentwall-grounding')).toBe('0.00');
    expect(response.headers.get('x-agentwall-flags')).toBe('ungrounded-answer');

    const [record] = await audited('llm_response', question);
    expect(record).toMatchObject({
      action: 'annotate',
      server: 'llm',
      subject: 'qwen3-8b',
      rules: [{ id: 'ungrounded-answer', action: 'annotate', mode: 'enforce' }],
      detail: {
        stream: false,
        cached: false,
        finish_reasons: ['stop'],
        tool_calls: 0,
        grounding: { score: 0, sentences: 3, supported: 0 },
        answer: { sha256: sha256(UNGROUNDED), bytes: Buffer.byteLength(UNGROUNDED) },
      },
    });
    expect((record!.detail?.usage as { completion_tokens: number }).completion_tokens).toBeGreaterThan(0);
  });

  it('does not flag a well-grounded answer', async () => {
    h.upstreams[0]!.chat.reply = () => ({ content: GROUNDED });
    const question = 'How tall is the Eiffel Tower? (grounded)';
    const { data, response } = await h.client.chat.completions
      .create({ model: 'auto', messages: withToolResult(question) })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe(GROUNDED);
    expect(response.headers.get('x-agentwall-grounding')).toBe('1.00');
    expect(response.headers.get('x-agentwall-flags')).toBeNull();
    const [record] = await audited('llm_response', question);
    expect(record).toMatchObject({
      action: 'allow',
      rules: [],
      detail: { grounding: { score: 1, sentences: 2, supported: 2 } },
    });
  });

  it('a deny rule replaces a completed answer with a 403 naming the rule', async () => {
    h.upstreams[0]!.chat.reply = () => ({ content: 'The launch code is ZEUS-7.' });
    const before = h.upstreams[0]!.requests.length;
    const answer = h.client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'what is the launch code?' }],
    });
    await expect(answer).rejects.toMatchObject({
      status: 403,
      code: 'agentwall_denied',
      message: expect.stringContaining('codename-in-answer: the answer names a codename'),
    });
    // The model was asked: the refusal is of its answer, not of the request.
    expect(h.upstreams[0]!.requests.length).toBe(before + 1);
    const [record] = await audited('llm_response', 'what is the launch code?');
    expect(record).toMatchObject({ action: 'deny', rules: [{ id: 'codename-in-answer' }] });
  });

  it('audits a streamed answer after its end (flags cannot be sent: the headers went out first)', async () => {
    h.upstreams[0]!.chat.reply = () => ({ content: UNGROUNDED });
    const question = 'How tall is the Eiffel Tower? (streamed)';
    const { data: stream, response } = await h.client.chat.completions
      .create({ model: 'auto', messages: withToolResult(question), stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(UNGROUNDED);
    expect(response.headers.get('x-agentwall-flags')).toBeNull();
    const [record] = await audited('llm_response', question);
    expect(record).toMatchObject({
      action: 'annotate',
      rules: [{ id: 'ungrounded-answer' }],
      detail: {
        stream: true,
        finish_reasons: ['stop'],
        grounding: { score: 0, sentences: 3, supported: 0 },
        answer: { sha256: sha256(UNGROUNDED) },
      },
    });
  });
});

describe('the audit log of LLM traffic', () => {
  it('keeps a hash and size of the prompt and the answer, never their text', async () => {
    const prompt = 'my passphrase is hunter2-xyzzy-31337, please remember it';
    const answer = 'Noted: correct-horse-battery-staple-42.';
    h.upstreams[0]!.chat.reply = () => ({ content: answer });
    await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: prompt }] });
    const [request] = await audited('llm_request', prompt);
    const [response] = await audited('llm_response', prompt);
    expect(request!.detail?.user_text).toEqual({ sha256: sha256(prompt), bytes: Buffer.byteLength(prompt) });
    expect(response!.detail?.answer).toEqual({ sha256: sha256(answer), bytes: Buffer.byteLength(answer) });
    const everything = JSON.stringify([...store.audit.records()]);
    expect(everything).not.toContain('hunter2-xyzzy');
    expect(everything).not.toContain('correct-horse-battery');
    expect(everything).not.toContain('Eiffel');
  });
});
