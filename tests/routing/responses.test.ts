import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { ToolCallEvent } from '../../src/core/events.js';
import { createPipeline } from '../../src/core/pipeline.js';
import { openStore, type Store } from '../../src/state/store.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { chatBodies, startHarness, type Harness } from './harness.js';

const ROUTING = {
  models: { 'qwen3-8b': { upstreams: ['a'] }, 'qwen3-32b': { upstreams: ['a'], reasoning_family: 'qwen3' } },
  default_model: 'qwen3-8b',
  signals: {
    keywords: [
      { name: 'urgent', any: ['asap'] },
      { name: 'bad', any: ['forbidden topic'] },
    ],
  },
  decisions: [
    { name: 'urgent', priority: 5, when: 'signals.keywords.urgent', model: 'qwen3-32b', reasoning: false },
    { name: 'no', priority: 9, when: 'signals.keywords.bad', action: 'deny', message: 'not here' },
  ],
};

/** Denies the tool `delete_everything`, as a policy rule would. */
const toolCall = createPipeline<ToolCallEvent>({
  stages: [
    {
      name: 'test-policy',
      run(ctx) {
        if (ctx.event.tool.name === 'delete_everything')
          ctx.fired.push({ id: 'no-deletes', action: 'deny', mode: 'enforce', message: 'not allowed' });
      },
    },
  ],
  defaultAction: 'allow',
  onStageError: 'deny',
  sinks: [],
});

let dir: TempDir;
let store: Store;
let h: Harness;
beforeAll(async () => {
  dir = await makeTempDir('agentwall-responses-');
  store = openStore(dir.path);
  h = await startHarness({ routing: ROUTING, root: store.root, toolCall });
});
afterAll(async () => {
  await h.close();
  await store.close();
  await dir.remove();
});

const lastChat = () =>
  chatBodies(h.upstreams[0]!).at(-1) as { model: string; messages: unknown[] } & Record<string, unknown>;

describe('POST /v1/responses', () => {
  it('answers a Responses object routed like chat, with instructions as the system turn', async () => {
    const { data, response } = await h.client.responses
      .create({ model: 'auto', instructions: 'be brief', input: 'hello asap' })
      .withResponse();
    expect(data.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(data.object).toBe('response');
    expect(data.status).toBe('completed');
    expect(data.output_text).toBe('echo: hello asap');
    expect(data.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(data.model).toBe('qwen3-32b');
    expect(response.headers.get('x-agentwall-decision')).toBe('urgent');
    expect(lastChat()).toMatchObject({
      model: 'qwen3-32b',
      stream: false,
      chat_template_kwargs: { enable_thinking: false },
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello asap' },
      ],
    });
  });

  it('chains with previous_response_id: the upstream sees the earlier turns (not their instructions)', async () => {
    const first = await h.client.responses.create({
      model: 'auto',
      instructions: 'one',
      input: 'my name is Ada',
    });
    const second = await h.client.responses.create({
      model: 'auto',
      instructions: 'two',
      previous_response_id: first.id,
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'what is my name?' }] }],
    });
    expect(second.previous_response_id).toBe(first.id);
    expect(lastChat().messages).toEqual([
      { role: 'system', content: 'two' },
      { role: 'user', content: 'my name is Ada' },
      { role: 'assistant', content: 'echo: my name is Ada' },
      { role: 'user', content: 'what is my name?' },
    ]);
    await h.client.responses.create({ model: 'auto', previous_response_id: second.id, input: 'and again' });
    expect(lastChat().messages).toHaveLength(5);
  });

  it('retrieves and deletes stored responses; store: false keeps nothing', async () => {
    const r = await h.client.responses.create({ model: 'auto', input: 'keep me' });
    const got = await h.client.responses.retrieve(r.id);
    expect(got).toEqual(r);
    await h.client.responses.delete(r.id);
    await expect(h.client.responses.retrieve(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(h.client.responses.delete(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const chained = h.client.responses.create({ model: 'auto', previous_response_id: r.id, input: 'x' });
    await expect(chained).rejects.toMatchObject({ status: 404, code: 'previous_response_not_found' });
    const unstored = await h.client.responses.create({ model: 'auto', input: 'forget me', store: false });
    expect((unstored as unknown as { store: boolean }).store).toBe(false);
    await expect(h.client.responses.retrieve(unstored.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('keeps responses across a restart (LMDB), and only for the principal that made them', async () => {
    const r = await h.client.responses.create({ model: 'auto', input: 'remember across restarts' });
    await h.close();
    await store.close();
    store = openStore(dir.path);
    h = await startHarness({ routing: ROUTING, root: store.root, toolCall });
    expect((await h.client.responses.retrieve(r.id)).output_text).toBe('echo: remember across restarts');
    await h.client.responses.create({ model: 'auto', previous_response_id: r.id, input: 'next' });
    expect(lastChat().messages).toHaveLength(3);
    const bob = await startHarness({
      routing: ROUTING,
      root: store.root,
      principal: { id: 'bob', roles: [], claims: {} },
    });
    try {
      await expect(bob.client.responses.retrieve(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      const chained = bob.client.responses.create({ model: 'auto', previous_response_id: r.id, input: 'x' });
      await expect(chained).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    } finally {
      await bob.close();
    }
  });

  it('streams response.* events without [DONE], then stores the answer for chaining', async () => {
    const stream = await h.client.responses.create({ model: 'auto', input: 'stream me now', stream: true });
    const types: string[] = [];
    let text = '';
    let id = '';
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'response.output_text.delta') text += e.delta;
      if (e.type === 'response.completed') id = e.response.id;
    }
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types.filter((t) => t === 'response.output_text.delta').length).toBeGreaterThan(1);
    expect(types).toContain('response.output_item.done');
    expect(text).toBe('echo: stream me now');
    expect(lastChat()).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const stored = await h.client.responses.retrieve(id);
    expect(stored.output_text).toBe('echo: stream me now');
    expect(stored.usage?.output_tokens).toBeGreaterThan(0);
  });

  it('turns tool calls into function_call items and chains their outputs back as tool messages', async () => {
    const u = h.upstreams[0]!;
    const reply = u.chat.reply;
    u.chat.reply = () => ({
      content: null,
      toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }],
    });
    let first;
    try {
      first = await h.client.responses.create({
        model: 'auto',
        input: 'weather?',
        tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' }, strict: false }],
      });
    } finally {
      u.chat.reply = reply;
    }
    expect(lastChat().tools).toEqual([
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' }, strict: false } },
    ]);
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    if (call?.type !== 'function_call') throw new Error('no function call');
    await h.client.responses.create({
      model: 'auto',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '18°C' }],
    });
    expect(lastChat().messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: '',
        tool_calls: [
          {
            id: call.call_id,
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: call.call_id, content: '18°C' },
    ]);
  });

  it("runs the model's tool calls through the outbound gate: a refused call never reaches the client", async () => {
    const u = h.upstreams[0]!;
    const reply = u.chat.reply;
    u.chat.reply = () => ({
      content: 'On it.',
      toolCalls: [
        { name: 'delete_everything', arguments: '{}' },
        { name: 'get_weather', arguments: '{"city":"Oslo"}' },
      ],
    });
    try {
      const { data, response } = await h.client.responses
        .create({ model: 'auto', input: 'clean up' })
        .withResponse();
      expect(response.headers.get('x-agentwall-tool-calls-denied')).toBe('delete_everything');
      expect(data.output.filter((o) => o.type === 'function_call').map((o) => o.name)).toEqual([
        'get_weather',
      ]);
      expect(data.output_text).toMatch(
        /^On it\.\n\nagentwall blocked the tool call delete_everything: not allowed/,
      );

      const stream = await h.client.responses.create({ model: 'auto', input: 'clean up', stream: true });
      const added: string[] = [];
      let text = '';
      let completed: OpenAI.Responses.Response | undefined;
      for await (const e of stream) {
        if (e.type === 'response.output_item.added' && e.item.type === 'function_call')
          added.push(e.item.name);
        if (e.type === 'response.output_text.delta') text += e.delta;
        if (e.type === 'response.completed') completed = e.response;
      }
      expect(added).toEqual(['get_weather']);
      expect(text).toContain('agentwall blocked the tool call delete_everything');
      expect(completed?.output.filter((o) => o.type === 'function_call').map((o) => o.name)).toEqual([
        'get_weather',
      ]);
    } finally {
      u.chat.reply = reply;
    }
  });

  it('denies by decision (403), refuses bad input (400), and unknown ids (404)', async () => {
    const before = h.upstreams[0]!.requests.length;
    await expect(
      h.client.responses.create({ model: 'auto', input: 'a forbidden topic' }),
    ).rejects.toMatchObject({
      status: 403,
      code: 'agentwall_denied',
    });
    await expect(h.client.responses.create({ model: 'auto' } as never)).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
    await expect(
      h.client.responses.create({ model: 'auto', input: [{ type: 'web_search_call' }] } as never),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(h.client.responses.retrieve('resp_missing')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(h.upstreams[0]!.requests.length).toBe(before);
  });
});
