import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadShippedEmbedder } from '../../src/ml/embedding.js';
import type { TextEmbedder } from '../../src/ml/scorer.js';
import type { ChatRequest } from '../../src/routing/chat.js';
import { applySystemPrompt } from '../../src/routing/system-prompt.js';
import { createToolFilter } from '../../src/routing/tool-filter.js';
import { chatBodies, startHarness, type Harness } from './harness.js';

const tool = (name: string, description: string) => ({
  type: 'function' as const,
  function: { name, description, parameters: { type: 'object' } },
});
const TOOLS = [
  tool('send_email', 'Send an email message to a recipient address'),
  tool('get_weather', 'Get the current weather forecast for a city'),
  tool('read_file', 'Read the contents of a file from the local disk'),
  tool('search_web', 'Search the web for pages matching a query'),
  tool('create_event', 'Create a meeting event in the calendar'),
];

const ROUTING = {
  models: { 'qwen3-8b': { upstreams: ['a'] } },
  default_model: 'qwen3-8b',
  cache: { mode: 'off' },
  tools: { mode: 'filtered', top_k: 2 },
  signals: {
    keywords: [
      { name: 'pirate', any: ['pirate'] },
      { name: 'formal', any: ['formal'] },
    ],
  },
  decisions: [
    { name: 'pirate', when: 'signals.keywords.pirate', system_prompt: { text: 'Talk like a pirate.' } },
    {
      name: 'formal',
      when: 'signals.keywords.formal',
      system_prompt: { text: 'Answer formally.', mode: 'replace' },
    },
  ],
};

let embedder: TextEmbedder;
let h: Harness;
beforeAll(async () => {
  embedder = await loadShippedEmbedder();
  h = await startHarness({ routing: ROUTING, models: { embedder } });
});
afterAll(async () => {
  await h.close();
  await embedder.close();
});

const names = (tools: unknown) => (tools as { function: { name: string } }[]).map((t) => t.function.name);

describe('tool selection (tools.mode: filtered)', () => {
  it('offers upstream only the top_k tools most similar to the last user turn', async () => {
    const { response } = await h.client.chat.completions
      .create({
        model: 'auto',
        tools: TOOLS,
        messages: [{ role: 'user', content: 'what is the weather forecast for Paris today?' }],
      })
      .withResponse();
    const sent = chatBodies(h.upstreams[0]!).at(-1)!;
    expect(names(sent.tools)).toHaveLength(2);
    expect(names(sent.tools)).toContain('get_weather');
    expect(names(sent.tools)).not.toContain('send_email');
    expect(response.headers.get('x-agentwall-tools')).toBe('2/5');
  });

  it('always keeps the tool that tool_choice names', async () => {
    await h.client.chat.completions.create({
      model: 'auto',
      tools: TOOLS,
      tool_choice: { type: 'function', function: { name: 'create_event' } },
      messages: [{ role: 'user', content: 'what is the weather forecast for Paris today?' }],
    });
    const sent = chatBodies(h.upstreams[0]!).at(-1)!;
    expect(names(sent.tools)).toEqual(['get_weather', 'create_event']);
  });

  it('without an embedder, ranks by shared words', async () => {
    const filter = createToolFilter({ topK: 1 });
    const body: ChatRequest = {
      messages: [{ role: 'user', content: 'read the file notes.txt' }],
      tools: [...TOOLS],
    };
    expect(await filter.filter(body)).toEqual({ kept: 1, offered: 5 });
    expect(names(body.tools)).toEqual(['read_file']);
  });
});

describe('a decision’s system prompt', () => {
  const system = () => chatBodies(h.upstreams[0]!).at(-1)!.messages as { role: string; content: string }[];
  it('is inserted first, merged into the client’s system message', async () => {
    await h.client.chat.completions.create({
      model: 'auto',
      messages: [
        { role: 'system', content: 'You are helpful.' },
        { role: 'user', content: 'say hello like a pirate' },
      ],
    });
    expect(system().map((m) => m.role)).toEqual(['system', 'user']);
    expect(system()[0]!.content).toBe('Talk like a pirate.\n\nYou are helpful.');
  });

  it('replaces the client’s system messages in replace mode', async () => {
    const { response } = await h.client.chat.completions
      .create({
        model: 'auto',
        messages: [
          { role: 'system', content: 'You are a pirate.' },
          { role: 'user', content: 'a formal greeting please' },
        ],
      })
      .withResponse();
    expect(response.headers.get('x-agentwall-decision')).toBe('formal');
    expect(system()).toEqual([
      { role: 'system', content: 'Answer formally.' },
      { role: 'user', content: 'a formal greeting please' },
    ]);
  });

  it('is added as a first system message when the client sent none', () => {
    const body: ChatRequest = { messages: [{ role: 'user', content: 'hi' }] };
    applySystemPrompt(body, { text: 'Be brief.', mode: 'insert' });
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ]);
  });
});
