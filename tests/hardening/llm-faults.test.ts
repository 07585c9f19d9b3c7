// Faults of the LLM upstream (issue 9): an endpoint that resets every connection, one that never
// answers, and one that stalls in the middle of a stream. Each gives the client a clear error within the
// configured timeout, the upstream request is given up, and the next request works once the fault ends.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chatBodies, startHarness, type Harness } from '../routing/harness.js';

const TIMEOUT_MS = 400;
const ROUTING = {
  models: { 'qwen3-8b': { upstreams: ['a'] } },
  default_model: 'qwen3-8b',
  cache: { mode: 'off' },
  timeout: TIMEOUT_MS,
  retries: 1,
};
const messages = [{ role: 'user' as const, content: 'one two three four five six seven eight' }];

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function post(url: string): Promise<{ status: number; code?: string; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'qwen3-8b', messages }),
  });
  const body = (await res.json()) as { error?: { code?: string } };
  return { status: res.status, code: body.error?.code, ms: performance.now() - t0 };
}

describe('LLM upstream faults', () => {
  it('connection resets on every attempt: 502 upstream_unavailable at once, then recovery', async () => {
    h = await startHarness({ routing: ROUTING });
    h.upstreams[0]!.faults.resetNext(2);
    const failed = await post(h.url);
    expect(failed).toMatchObject({ status: 502, code: 'upstream_unavailable' });
    console.log(`LLM faults: reset ×2 answered 502 after ${failed.ms.toFixed(0)} ms`);
    expect((await post(h.url)).status).toBe(200);
  });

  it('an upstream that never answers: 504 within the timeout per attempt, then recovery', async () => {
    h = await startHarness({ routing: ROUTING });
    h.upstreams[0]!.faults.hangNext(2);
    const failed = await post(h.url);
    expect(failed.status).toBe(504);
    expect(failed.code).toBe('upstream_unavailable');
    // Two attempts (retries: 1), each bounded by the timeout, plus slack for a loaded machine.
    expect(failed.ms).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(failed.ms).toBeLessThan(2 * TIMEOUT_MS + 4000);
    console.log(
      `LLM faults: hang ×2 answered 504 after ${failed.ms.toFixed(0)} ms (timeout ${TIMEOUT_MS} ms)`,
    );
    expect((await post(h.url)).status).toBe(200);
  });

  it('a stream that stalls midway ends with an error for the client, and the upstream is given up', async () => {
    h = await startHarness({ routing: ROUTING });
    const u = h.upstreams[0]!;
    u.chat.chunkDelayMs = 60_000; // the first event comes at once, the next one far past the timeout
    const t0 = performance.now();
    const stream = await h.client.chat.completions.create({ model: 'qwen3-8b', messages, stream: true });
    let chunks = 0;
    let failure: unknown;
    try {
      for await (const _ of stream) chunks++;
    } catch (err) {
      failure = err;
    }
    const ms = performance.now() - t0;
    expect(chunks).toBeGreaterThanOrEqual(1);
    expect(failure).toBeInstanceOf(Error);
    expect(ms).toBeLessThan(TIMEOUT_MS + 3000);
    await vi.waitFor(() => expect(u.chat.cancelled).toBe(1), { timeout: 5000 });
    expect(u.chat.completed).toBe(0);
    console.log(`LLM faults: stalled stream ended after ${chunks} chunk(s) in ${ms.toFixed(0)} ms`);

    u.chat.chunkDelayMs = 0;
    const next = await h.client.chat.completions.create({ model: 'qwen3-8b', messages });
    expect(next.choices[0]?.finish_reason).toBe('stop');
    expect(chatBodies(u)).toHaveLength(2);
  });
});
