/**
 * The stand-in's legacy `POST /v1/completions` (vLLM reference §1, §3): `prompt` a string or a list of
 * strings (one choice per prompt), the text from `standin.chat.reply` on the prompt as a user turn
 * (default `echo: <prompt>`), JSON or SSE with `object: "text_completion"` chunks (no role chunk),
 * a usage chunk with `stream_options.include_usage`, then `[DONE]`. Tests only.
 */
import type { ServerResponse } from 'node:http';
import type { VllmStandin } from './vllm-standin.js';

const words = (text: string): string[] => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function registerCompletions(standin: VllmStandin): void {
  let counter = 0;
  const created = Math.floor(Date.now() / 1000);
  standin.route('POST', '/v1/completions', async ({ body, res }) => {
    const b = body as Record<string, unknown>;
    const model = b.model === undefined ? standin.models[0] : standin.models.find((m) => m.id === b.model);
    if (!model)
      return standin.sendError(res, 404, 'NotFoundError', `The model \`${String(b.model)}\` does not exist.`);
    if (model.task !== 'generate')
      return standin.sendError(res, 400, 'BadRequestError', 'The model does not support Completions API');
    const prompts = typeof b.prompt === 'string' ? [b.prompt] : b.prompt;
    if (!Array.isArray(prompts) || !prompts.every((p) => typeof p === 'string'))
      return standin.sendError(res, 400, 'Bad Request', 'prompt: Field required', 'prompt');
    if (b.stream_options !== undefined && b.stream !== true)
      return standin.sendError(
        res,
        400,
        'BadRequestError',
        'Stream options can only be defined when `stream=True`.',
      );
    const texts = prompts.map(
      (p) => standin.chat.reply({ ...b, messages: [{ role: 'user', content: p }] }).content ?? '',
    );
    const id = `cmpl-${++counter}`;
    const prompt = prompts.reduce((n, p) => n + words(p).length + 2, 0);
    const completion = texts.reduce((n, t) => n + words(t).length, 0);
    const usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    if (standin.chat.latencyMs > 0) await sleep(standin.chat.latencyMs);
    const base = { id, object: 'text_completion', created, model: model.id };
    if (b.stream === true) return stream(res, standin, base, texts, b.stream_options ? usage : undefined);
    const choices = texts.map((text, index) => ({
      index,
      text,
      logprobs: null,
      finish_reason: 'stop',
      stop_reason: null,
      prompt_logprobs: null,
    }));
    const out = JSON.stringify({ ...base, choices, usage });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
}

async function stream(
  res: ServerResponse,
  standin: VllmStandin,
  base: Record<string, unknown>,
  texts: readonly string[],
  usage: Record<string, number> | undefined,
): Promise<void> {
  let open = true;
  res.on('close', () => {
    if (open) standin.chat.cancelled++;
    open = false;
  });
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  const events: unknown[] = [];
  texts.forEach((text, index) => {
    const pieces = text.split(/(?<= )/).filter((x) => x !== '');
    pieces.forEach((piece, i) =>
      events.push({
        ...base,
        choices: [
          {
            index,
            text: piece,
            logprobs: null,
            finish_reason: i === pieces.length - 1 ? 'stop' : null,
            stop_reason: null,
          },
        ],
      }),
    );
  });
  if (usage) events.push({ ...base, choices: [], usage });
  for (const [i, e] of events.entries()) {
    if (i > 0 && standin.chat.chunkDelayMs > 0) await sleep(standin.chat.chunkDelayMs);
    if (!open) return;
    res.write(`data: ${JSON.stringify(e)}\n\n`);
  }
  if (!open) return;
  open = false;
  standin.chat.completed++;
  res.end('data: [DONE]\n\n');
}
