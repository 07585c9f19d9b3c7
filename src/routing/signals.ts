import { RE2JS } from '@bufbuild/re2';
import type { TextEmbedder, TextScorer } from '../ml/scorer.js';
import { cosine } from '../ml/embedding.js';
import { detectPii } from '../inbound/detect/index.js';
import { estimateTokens, lastUserText, type ChatRequest } from './chat.js';
import { FACT_CHECK_THRESHOLD, factCheckScore } from './fact-check.js';
import type { RoutingConfig } from './schema.js';

/** A multi-class text classifier: class probabilities per text (the shipped domain model). */
export interface DomainClassifier {
  readonly labels: readonly string[];
  classify(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** The models the signals use; each is optional, and a signal without its model keeps its neutral value. */
export interface SignalModels {
  readonly domain?: DomainClassifier | undefined;
  readonly embedder?: TextEmbedder | undefined;
  readonly jailbreak?: TextScorer | undefined;
  readonly injection?: TextScorer | undefined;
}

/** What decisions read as `signals` (docs/routing.md lists each). */
export interface RoutingSignals {
  keywords: Record<string, boolean>;
  similarity: Record<string, number>;
  /** The similarity sets whose score reached their threshold. */
  similar: string[];
  domain: string;
  domain_score: number;
  jailbreak: number;
  injection: number;
  tokens: number;
  tools_offered: boolean;
  /** PII findings (inbound detectors) in the last user turn. */
  pii: number;
  /** The prompt asks for verifiable facts (fact-check.ts heuristic), and the heuristic's score. */
  fact_check: boolean;
  fact_check_score: number;
}

/** The values of every signal before any is computed. */
export function neutralSignals(routing: RoutingConfig): RoutingSignals {
  return {
    keywords: Object.fromEntries(routing.signals.keywords.map((k) => [k.name, false])),
    similarity: Object.fromEntries(routing.signals.similarity.map((s) => [s.name, 0])),
    similar: [],
    domain: '',
    domain_score: 0,
    jailbreak: 0,
    injection: 0,
    tokens: 0,
    tools_offered: false,
    pii: 0,
    fact_check: false,
    fact_check_score: 0,
  };
}

export interface ComputeOptions {
  /** Compute the signals no decision reads too (the playground): the cheap ones, and those of loaded models. */
  readonly all?: boolean;
}

export interface SignalComputer {
  compute(req: ChatRequest, options?: ComputeOptions): Promise<RoutingSignals>;
}

/** Which model-backed signals some decision reads; the others are not computed (they cost an ONNX run). */
export interface SignalNeeds {
  readonly domain: boolean;
  readonly similarity: boolean;
  readonly jailbreak: boolean;
  readonly injection: boolean;
  readonly pii: boolean;
  readonly fact_check: boolean;
}

export function needsOf(whens: readonly string[]): SignalNeeds {
  const reads = (re: RegExp) => whens.some((w) => re.test(w));
  return {
    domain: reads(/signals\.domain/),
    similarity: reads(/signals\.(similarity|similar)\b/),
    jailbreak: reads(/signals\.jailbreak/),
    injection: reads(/signals\.injection/),
    pii: reads(/signals\.pii/),
    fact_check: reads(/signals\.fact_check/),
  };
}

type KeywordTest = (lower: string, raw: string) => boolean;

function keywordTest(k: RoutingConfig['signals']['keywords'][number]): KeywordTest {
  if (k.regex !== undefined) {
    const re = RE2JS.compile(k.regex, RE2JS.CASE_INSENSITIVE);
    return (_lower, raw) => re.test(raw);
  }
  if (k.any !== undefined) {
    const words = k.any.map((w) => w.toLowerCase());
    return (lower) => words.some((w) => lower.includes(w));
  }
  const words = (k.all ?? []).map((w) => w.toLowerCase());
  return (lower) => words.every((w) => lower.includes(w));
}

/**
 * Builds the per-request signal computation: keyword rules compiled once (regexes on RE2, linear
 * time), example sets embedded once at start, and the model-backed signals run side by side.
 */
export async function createSignalComputer(
  routing: RoutingConfig,
  models: SignalModels,
  needs: SignalNeeds,
): Promise<SignalComputer> {
  const keywords = routing.signals.keywords.map((k) => ({ name: k.name, test: keywordTest(k) }));
  const sets =
    models.embedder && needs.similarity
      ? await Promise.all(
          routing.signals.similarity.map(async (s) => ({
            name: s.name,
            threshold: s.threshold,
            vectors: await (models.embedder as TextEmbedder).embed(s.examples),
          })),
        )
      : [];
  return {
    async compute(req, options = {}) {
      const text = lastUserText(req);
      const lower = text.toLowerCase();
      const out: RoutingSignals = {
        ...neutralSignals(routing),
        keywords: Object.fromEntries(keywords.map((k) => [k.name, k.test(lower, text)])),
        tokens: estimateTokens(req),
        tools_offered: Array.isArray(req.tools) && req.tools.length > 0,
      };
      if (text === '') return out;
      const all = options.all === true;
      if (needs.pii || all) out.pii = detectPii(text).filter((f) => f.kind === 'pii').length;
      if (needs.fact_check || all) {
        out.fact_check_score = factCheckScore(text).score;
        out.fact_check = out.fact_check_score >= FACT_CHECK_THRESHOLD;
      }
      const { domain, embedder, jailbreak, injection } = models;
      await Promise.all([
        domain && (needs.domain || all)
          ? domain.classify([text]).then(([p]) => {
              if (!p) return;
              let best = 0;
              for (let i = 1; i < p.length; i++) if ((p[i] as number) > (p[best] as number)) best = i;
              out.domain = domain.labels[best] ?? '';
              out.domain_score = p[best] ?? 0;
            })
          : undefined,
        embedder && sets.length > 0
          ? embedder.embed([text]).then(([v]) => {
              if (!v) return;
              for (const s of sets) {
                const score = Math.max(...s.vectors.map((e) => cosine(v, e)));
                out.similarity[s.name] = score;
                if (score >= s.threshold) out.similar.push(s.name);
              }
            })
          : undefined,
        jailbreak && (needs.jailbreak || all)
          ? jailbreak.score([text]).then(([s]) => void (out.jailbreak = s ?? 0))
          : undefined,
        injection && (needs.injection || all)
          ? injection.score([text]).then(([s]) => void (out.injection = s ?? 0))
          : undefined,
      ]);
      return out;
    },
  };
}
