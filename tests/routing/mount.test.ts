import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import pino from 'pino';
import { resolveConfig } from '../../src/config/load.js';
import { startRuntime, type Runtime } from '../../src/cli/runtime.js';
import { startHttpFront, type HttpFront } from '../../src/mcp/http/server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { startVllmStandin, type VllmStandin } from '../support/vllm-standin.js';
import { GENERATE_MODELS } from './harness.js';

const TOKEN = 'router-test-token-0123456789';
const KEY = 'upstream-key-0123456789';

let dir: TempDir;
let upstream: VllmStandin;
let rt: Runtime;
let front: HttpFront;
beforeAll(async () => {
  dir = await makeTempDir('agentwall-router-');
  upstream = await startVllmStandin({ models: GENERATE_MODELS, apiKey: KEY });
  const config = resolveConfig(
    {
      listen: { port: 0 },
      data_dir: dir.path,
      auth: { tokens: [{ token_env: 'AW_TOKEN', principal: 'alice' }] },
      policies: { watch: false },
      scorers: {
        injection: { enabled: false },
        jailbreak: { enabled: false },
        capability: { enabled: false },
      },
      routing: {
        upstreams: [{ name: 'a', url: `${upstream.url}/v1`, api_key_env: 'VLLM_KEY' }],
        models: { 'qwen3-8b': { upstreams: ['a'] } },
        default_model: 'qwen3-8b',
      },
    },
    { source: 'test', baseDir: dir.path, env: { AW_TOKEN: TOKEN, VLLM_KEY: KEY } },
  );
  rt = await startRuntime(config, { logger: { log: pino({ level: 'silent' }), flush: () => undefined } });
  front = await startHttpFront(rt.sessionDeps, {
    ...(rt.router ? { v1: rt.router.handle.bind(rt.router) } : {}),
  });
});
afterAll(async () => {
  await front.close();
  await rt.close();
  await upstream.close();
  await dir.remove();
});

describe('the router mounted on the HTTP front', () => {
  it('serves /v1 beside /mcp with the bearer check, and sends the upstream key from api_key_env', async () => {
    const client = new OpenAI({ baseURL: `${front.url}/v1`, apiKey: TOKEN, maxRetries: 0 });
    const r = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(r.choices[0]?.message.content).toBe('echo: hi');
    expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
    const wrong = new OpenAI({ baseURL: `${front.url}/v1`, apiKey: 'not-the-token-at-all', maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
