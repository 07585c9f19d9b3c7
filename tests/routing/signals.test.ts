import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TextEmbedder } from '../../src/ml/scorer.js';
import { FACT_CHECK_THRESHOLD, factCheckScore } from '../../src/routing/fact-check.js';
import { groundingScore, groundingScoreWithEmbedder, splitSentences } from '../../src/routing/grounding.js';
import { routingSchema } from '../../src/routing/schema.js';
import { createSignalComputer, needsOf } from '../../src/routing/signals.js';
import { chatBodies, startHarness, type Harness } from './harness.js';

describe('fact_check heuristic', () => {
  const cases: [string, boolean][] = [
    ['Who was the first woman to win a Nobel Prize?', true],
    ['When did the Berlin Wall fall?', true],
    ['How many moons does Jupiter have?', true],
    ['What is the population of Canada?', true],
    ["What was France's GDP in 2023, in percent growth?", true],
    ['Can you cite sources for the claim that coffee prevents cancer?', true],
    ['Write a poem about autumn leaves', false],
    ['Refactor this function to use async/await', false],
    ['Write a function that counts how many items are in a list', false],
    ['hello, how are you', false],
    ['Do you think I should learn Rust?', false],
  ];
  it.each(cases)('%s → %s', (text, expected) => {
    const r = factCheckScore(text);
    expect(r.score >= FACT_CHECK_THRESHOLD).toBe(expected);
    expect(r.score).toBeGreaterThanOrEqual(0);
    expect(r.score).toBeLessThanOrEqual(1);
  });
  it('names the cues that matched', () => {
    expect(factCheckScore('How many people lived in Rome in 100 AD?').cues).toEqual(
      expect.arrayContaining(['quantity', 'named_entity']),
    );
  });
});

describe('groundingScore', () => {
  const context = [
    'The Eiffel Tower is 330 metres tall. It was completed in 1889 for the World Fair in Paris.',
    'Gustave Eiffel’s company designed and built the tower.',
  ];
  it('splits sentences', () => {
    expect(splitSentences('One. Two!  Three?\nFour')).toEqual(['One.', 'Two!', 'Three?', 'Four']);
    expect(splitSentences(' ... ')).toEqual([]);
  });
  it.each([
    ['The Eiffel Tower is 330 metres tall.', 1, 1],
    ['The tower was completed in 1889. It is 330 metres tall.', 2, 2],
    ['The Eiffel Tower is 330 metres tall. It was painted green by Napoleon.', 2, 1],
    ['The Eiffel Tower is 500 metres tall.', 1, 0], // a number the context does not state
    ['Bananas are rich in potassium.', 1, 0],
  ] as const)('%s → %i sentences, %i supported', (answer, sentences, supported) => {
    const r = groundingScore(answer, context);
    expect(r).toEqual({ score: supported / sentences, sentences, supported });
  });
  it('scores an empty answer 1 with no sentences', () => {
    expect(groundingScore('', context)).toEqual({ score: 1, sentences: 0, supported: 0 });
  });
  it('counts a paraphrase as supported only through the embedding test', async () => {
    const answer = 'Its height is about a third of a kilometre.';
    expect(groundingScore(answer, context).supported).toBe(0);
    // A stand-in embedder: the paraphrase and the context's first sentence share a direction.
    const vectorOf = (t: string) =>
      new Float32Array(/height|330 metres/.test(t) ? [1, 0.1, 0] : /1889/.test(t) ? [0, 1, 0] : [0, 0, 1]);
    const embedder: TextEmbedder = {
      name: 'fake',
      dim: 3,
      embed: (texts) => Promise.resolve(texts.map(vectorOf)),
      close: () => Promise.resolve(),
    };
    expect(await groundingScoreWithEmbedder(answer, context, embedder)).toEqual({
      score: 1,
      sentences: 1,
      supported: 1,
    });
    const unrelated = await groundingScoreWithEmbedder('Bananas are yellow.', context, embedder);
    expect(unrelated.supported).toBe(1); // [0,0,1] matches the third context sentence: overlap, not truth
    expect(
      groundingScore('Bananas are yellow.', context, { contextVectors: [], sentenceVectors: [] }).supported,
    ).toBe(0);
  });
});

describe('pii and fact_check signals', () => {
  const routing = routingSchema.parse({
    upstreams: [{ name: 'a', url: 'http://127.0.0.1:1/v1' }],
    models: { m: { upstreams: ['a'] } },
    default_model: 'm',
    decisions: [{ name: 'p', when: 'signals.pii > 0 || signals.fact_check', model: 'm' }],
  });
  const ask = (content: string) => ({ messages: [{ role: 'user', content }] });

  it('are computed only when a decision reads them (or all are asked for)', async () => {
    expect(needsOf(['signals.pii > 1'])).toMatchObject({ pii: true, fact_check: false, domain: false });
    const none = await createSignalComputer(routing, {}, needsOf([]));
    const text = 'mail ada@example.com: who won the 1998 World Cup?';
    expect(await none.compute(ask(text))).toMatchObject({ pii: 0, fact_check: false, fact_check_score: 0 });
    expect(await none.compute(ask(text), { all: true })).toMatchObject({ pii: 1, fact_check: true });
  });

  it('count PII findings in the last user turn only', async () => {
    const s = await createSignalComputer(routing, {}, needsOf(routing.decisions.map((d) => d.when)));
    const r = await s.compute({
      messages: [
        { role: 'user', content: 'earlier: bob@example.org' },
        { role: 'user', content: 'Send it to ada@example.com, card 4111 1111 1111 1111, please' },
      ],
    });
    expect(r.pii).toBe(2);
    expect((await s.compute(ask('nothing personal here'))).pii).toBe(0);
  });
});

describe('routing by pii, fact_check and request', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      routing: {
        models: { 'qwen3-8b': { upstreams: ['a'] }, 'qwen3-32b': { upstreams: ['a'] } },
        default_model: 'qwen3-8b',
        decisions: [
          { name: 'private', priority: 20, when: 'signals.pii >= 1', model: 'qwen3-8b' },
          { name: 'verify', priority: 10, when: 'signals.fact_check', model: 'qwen3-32b' },
          {
            name: 'toolsy',
            priority: 5,
            when: 'request.tools >= 2 && request.messages == 1',
            model: 'qwen3-32b',
          },
          { name: 'cold', priority: 1, when: 'request.temperature == 0.0', model: 'qwen3-32b' },
        ],
      },
    });
  });
  afterAll(() => h.close());

  const fn = (name: string) => ({
    type: 'function' as const,
    function: { name, parameters: { type: 'object' } },
  });
  it.each([
    [{ content: 'When did Apollo 11 land on the Moon?' }, 'verify', 'qwen3-32b'],
    [{ content: 'When did I email ada@example.com?' }, 'private', 'qwen3-8b'],
    [{ content: 'pick one', tools: [fn('a'), fn('b')] }, 'toolsy', 'qwen3-32b'],
    [{ content: 'pick one', temperature: 0 }, 'cold', 'qwen3-32b'],
    [{ content: 'tell me a story' }, 'default', 'qwen3-8b'],
  ] as const)('%o → %s', async (o, decision, model) => {
    const { response } = await h.client.chat.completions
      .create({
        model: 'auto',
        messages: [{ role: 'user', content: o.content }],
        ...('tools' in o ? { tools: [...o.tools] } : {}),
        ...('temperature' in o ? { temperature: o.temperature } : {}),
      })
      .withResponse();
    expect(response.headers.get('x-agentwall-decision')).toBe(decision);
    expect(chatBodies(h.upstreams[0]!).at(-1)?.model).toBe(model);
  });
});
