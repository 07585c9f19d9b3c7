import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ToolCallEvent } from '../core/events.js';
import type { Pipeline } from '../core/pipeline.js';
import type { Principal } from '../core/session.js';
import { loadShippedEmbedder } from '../ml/embedding.js';
import { modelPaths, readCard } from '../ml/model-files.js';
import { createOnnxScorer } from '../ml/onnx-session.js';
import { loadShippedScorer } from '../ml/scorer.js';
import { createAnswerCache } from './cache.js';
import { handleChat, type ChatDeps } from './chat-handler.js';
import { compileDecisions } from './decisions.js';
import { readJson, sendJsonText, sendOpenAiError, sendUpstreamFailure } from './http-io.js';
import type { RoutingConfig } from './schema.js';
import { createSignalComputer, needsOf, type DomainClassifier, type SignalModels } from './signals.js';
import { LlmSessions } from './tool-guard.js';
import { createUpstreamPool, type UpstreamPool } from './upstream-pool.js';

/** Serves `/v1/*`; mounted by the HTTP front after its Host/Origin and bearer checks. */
export interface LlmRouter {
  handle(req: IncomingMessage, res: ServerResponse, principal: Principal, path: string): Promise<void>;
  close(): Promise<void>;
}

export interface RouterDeps {
  readonly routing: RoutingConfig;
  /** Resolved `api_key_env` values (config `scorer_env`). */
  readonly env: Readonly<Record<string, string>>;
  readonly log: Logger;
  readonly maxBodyBytes: number;
  /** The outbound pipeline that checks the model's tool calls; absent: they pass unchecked. */
  readonly toolCall?: Pipeline<ToolCallEvent> | undefined;
  readonly revision?: () => string;
  /** The signal models; by default the shipped ones that some decision reads are loaded. */
  readonly models?: SignalModels;
  /** Made by default from `routing` (tests inject one). */
  readonly pool?: UpstreamPool;
}

/** Loads the shipped models the decisions need: domain, embedding, jailbreak, injection (models/). */
export async function loadSignalModels(routing: RoutingConfig): Promise<SignalModels> {
  const needs = needsOf(routing.decisions.map((d) => d.when));
  const loaded: SignalModels = {
    domain: needs.domain ? await loadDomainClassifier() : undefined,
    embedder:
      needs.similarity && routing.signals.similarity.length > 0 ? await loadShippedEmbedder() : undefined,
    jailbreak: needs.jailbreak ? await loadShippedScorer('jailbreak') : undefined,
    injection: needs.injection ? await loadShippedScorer('injection') : undefined,
  };
  return loaded;
}

export async function loadDomainClassifier(): Promise<DomainClassifier> {
  const card = await readCard('domain');
  const onnx = await createOnnxScorer({ model: modelPaths('domain').onnx, features: card.features });
  return { labels: card.labels, classify: (texts) => onnx.score(texts), close: () => onnx.close() };
}

export async function createLlmRouter(deps: RouterDeps): Promise<LlmRouter> {
  const { routing, log } = deps;
  const decisions = compileDecisions(routing);
  const ownsModels = deps.models === undefined;
  const models = deps.models ?? (await loadSignalModels(routing));
  const signals = await createSignalComputer(routing, models, needsOf(decisions.map((d) => d.when)));
  const pool = deps.pool ?? createUpstreamPool({ routing, env: deps.env });
  const chat: ChatDeps = {
    routing,
    pool,
    signals,
    decisions,
    cache:
      routing.cache.mode === 'off'
        ? undefined
        : createAnswerCache({ ttlMs: routing.cache.ttl, maxEntries: routing.cache.max_entries }),
    guard: deps.toolCall
      ? {
          pipeline: deps.toolCall,
          revision: deps.revision ?? (() => ''),
          message: routing.denied_tool_call_message,
        }
      : undefined,
    sessions: new LlmSessions(),
    log: log.child({ front: 'llm' }),
    maxBodyBytes: deps.maxBodyBytes,
  };
  const created = Math.floor(Date.now() / 1000);
  const modelList = JSON.stringify({
    object: 'list',
    data: ['auto', ...Object.keys(routing.models)].map((id) => ({
      id,
      object: 'model',
      created,
      owned_by: 'agentwall',
    })),
  });

  async function embeddings(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const read = await readJson(req, deps.maxBodyBytes);
    if (!read.ok) return sendOpenAiError(res, read.status, 'invalid_request_error', read.message);
    const body = read.value as Record<string, unknown>;
    const model = typeof body.model === 'string' ? body.model : routing.default_model;
    if (!Object.hasOwn(routing.models, model))
      return sendOpenAiError(
        res,
        404,
        'invalid_request_error',
        `The model \`${model}\` does not exist.`,
        'model_not_found',
      );
    const controller = new AbortController();
    res.on('close', () => res.writableFinished || controller.abort());
    const r = await pool.post(model, '/embeddings', JSON.stringify({ ...body, model }), controller.signal);
    if (!r.ok) return sendUpstreamFailure(res, r.failure);
    sendJsonText(res, r.response.status, await r.response.body.text(), { 'x-agentwall-model': model });
  }

  return {
    async handle(req, res, principal, path) {
      const route = `${req.method ?? 'GET'} ${path}`;
      try {
        if (route === 'GET /v1/models') return sendJsonText(res, 200, modelList);
        if (route === 'POST /v1/chat/completions') return await handleChat(req, res, principal, chat);
        if (route === 'POST /v1/embeddings') return await embeddings(req, res);
        sendOpenAiError(res, 404, 'invalid_request_error', `Unknown route ${route}`, 'unknown_route');
      } catch (err) {
        log.error({ err, route }, 'LLM request failed');
        sendOpenAiError(res, 500, 'server_error', 'agentwall could not handle the request');
      }
    },
    async close() {
      if (!deps.pool) await pool.close();
      if (ownsModels)
        await Promise.all(
          Object.values(models).map((m: { close(): Promise<void> } | undefined) =>
            m ? m.close() : Promise.resolve(),
          ),
        );
    },
  };
}
