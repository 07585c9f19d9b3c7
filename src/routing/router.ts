import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RootDatabase } from 'lmdb';
import type { Logger } from 'pino';
import type { LlmRequestEvent, LlmResponseEvent, ToolCallEvent } from '../core/events.js';
import type { Pipeline } from '../core/pipeline.js';
import type { Principal } from '../core/session.js';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import type { LlmMetrics } from '../metrics/metrics.js';
import { openResponseStore } from '../state/response-store.js';
import { loadShippedEmbedder } from '../ml/embedding.js';
import { modelPaths, readCard } from '../ml/model-files.js';
import { createOnnxScorer } from '../ml/onnx-session.js';
import { loadShippedScorer } from '../ml/scorer.js';
import { createChatParts } from './chat-setup.js';
import type { LlmInbound } from './message-guard.js';
import type { TextEmbedder } from '../ml/scorer.js';
import { handleChat, type ChatDeps } from './chat-handler.js';
import { compileDecisions } from './decisions.js';
import { readJson, sendJsonText, sendOpenAiError, sendUpstreamFailure } from './http-io.js';
import type { RoutingConfig } from './schema.js';
import { createSignalComputer, needsOf, type DomainClassifier, type SignalModels } from './signals.js';
import { LlmSessions } from './tool-guard.js';
import { createUpstreamPool, type UpstreamPool } from './upstream-pool.js';
import { parseChatRequest } from './chat.js';
import { handleCompletions } from './completions.js';
import { handleResponses } from './responses.js';
import { decide, type FrontDeps } from './route-request.js';
import { createRequestObserver, type RouterStats } from './router-stats.js';

/** Serves `/v1/*`; mounted by the HTTP front after its Host/Origin and bearer checks. */
export interface LlmRouter {
  handle(req: IncomingMessage, res: ServerResponse, principal: Principal, path: string): Promise<void>;
  /**
   * The signals and the decision for a chat-completions body, without calling an upstream (the
   * console's playground). Every cheap signal is computed, read by a decision or not. A body that is
   * not a chat request, or names an unknown model, throws `INVALID_PARAMS`.
   */
  explain(body: unknown, principal: Principal): Promise<RoutingExplanation>;
  /** Per-model and per-decision request counts and cache hits/misses since start. */
  stats(): RouterStats;
  close(): Promise<void>;
}

export interface RoutingExplanation {
  signals: Record<string, unknown>;
  decision: string;
  action: 'route' | 'deny';
  model?: string;
  reasoning?: boolean;
  message?: string;
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
  /** The inbound checkpoint `role: tool` messages of chat requests go through (docs/routing.md). */
  readonly inbound?: LlmInbound | undefined;
  /** For the semantic cache and tool selection; default `models.embedder`, else the shipped one. */
  readonly embedder?: TextEmbedder | undefined;
  /** The answer cache's clock (tests). */
  readonly clock?: (() => number) | undefined;
  /** The store's LMDB root: `/v1/responses` keep their answers in its `responses` database (and the cache persists in it). */
  readonly root?: RootDatabase | undefined;
  /** Prometheus metrics of `/v1` requests (src/metrics). */
  readonly metrics?: LlmMetrics | undefined;
  /** The policy checkpoint on routed requests (`on: llm_request` rules); absent: none. */
  readonly llmRequest?: Pipeline<LlmRequestEvent> | undefined;
  /** The policy checkpoint on answers (`on: llm_response` rules); absent: none. */
  readonly llmResponse?: Pipeline<LlmResponseEvent> | undefined;
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
  const parts = await createChatParts({
    routing,
    log,
    embedder: deps.embedder ?? models.embedder,
    root: deps.root,
    clock: deps.clock,
    inbound: deps.inbound,
  });
  const sessions = new LlmSessions();
  const llm =
    deps.llmRequest || deps.llmResponse
      ? { request: deps.llmRequest, response: deps.llmResponse, sessions }
      : undefined;
  const chat: ChatDeps = {
    routing,
    pool,
    signals,
    decisions,
    cache: parts.cache,
    messages: parts.messages,
    tools: parts.tools,
    guard: deps.toolCall
      ? {
          pipeline: deps.toolCall,
          revision: deps.revision ?? (() => ''),
          message: routing.denied_tool_call_message,
        }
      : undefined,
    sessions,
    log: log.child({ front: 'llm' }),
    maxBodyBytes: deps.maxBodyBytes,
    llm,
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

  const front: FrontDeps = {
    routing,
    pool,
    signals,
    decisions,
    log: log.child({ front: 'llm' }),
    maxBodyBytes: deps.maxBodyBytes,
    llm,
  };
  const responses = {
    ...front,
    store: openResponseStore(deps.root),
    guard: chat.guard ? { deps: chat.guard, sessions: chat.sessions } : undefined,
  };
  const observer = createRequestObserver(deps.metrics);
  deps.metrics?.watchUpstreams(() => pool.health());

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
      observer.watch(req, res, path);
      try {
        if (route === 'GET /v1/models') return sendJsonText(res, 200, modelList);
        if (route === 'POST /v1/chat/completions') return await handleChat(req, res, principal, chat);
        if (route === 'POST /v1/embeddings') return await embeddings(req, res);
        if (route === 'POST /v1/completions') return await handleCompletions(req, res, principal, front);
        if (path.startsWith('/v1/responses') && (await handleResponses(req, res, principal, path, responses)))
          return;
        sendOpenAiError(res, 404, 'invalid_request_error', `Unknown route ${route}`, 'unknown_route');
      } catch (err) {
        log.error({ err, route }, 'LLM request failed');
        sendOpenAiError(res, 500, 'server_error', 'agentwall could not handle the request');
      }
    },
    async explain(body, principal) {
      const parsed = parseChatRequest(body);
      if (!parsed.ok) throw new AgentwallError(ErrorCode.INVALID_PARAMS, parsed.message);
      const model = parsed.value.model;
      if (model !== undefined && model !== 'auto' && !Object.hasOwn(routing.models, model))
        throw new AgentwallError(ErrorCode.INVALID_PARAMS, `The model \`${model}\` does not exist.`);
      const { signals: values, choice } = await decide(front, parsed.value, principal, 'chat', { all: true });
      const out: RoutingExplanation = {
        signals: { ...values },
        decision: choice.decision,
        action: choice.action,
      };
      if (choice.action === 'deny') out.message = choice.message;
      else {
        out.model = choice.model;
        if (choice.reasoning !== undefined) out.reasoning = choice.reasoning;
      }
      return out;
    },
    stats: () => observer.stats(),
    async close() {
      await parts.close();
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
