import { cosine } from '../ml/embedding.js';
import type { TextEmbedder } from '../ml/scorer.js';
import { lastUserText, type ChatRequest } from './chat.js';

/**
 * Tool selection (`routing.tools.mode: filtered`): of the tools a request offers, only the `top_k`
 * most similar to the last user turn go upstream — fewer prompt tokens, and fewer tools an injected
 * instruction could reach. Similarity: cosine of embeddings of the turn and of each tool's
 * `name: description`, or, without an embedder, the cosine of their word sets. A tool named by
 * `tool_choice` is always kept; the kept tools stay in the client's order.
 */
export interface ToolFilter {
  /** Trims `body.tools` in place; kept and offered counts (undefined when no tools were offered). */
  filter(body: ChatRequest): Promise<{ kept: number; offered: number } | undefined>;
}

/** Tool embeddings kept by text (agents offer the same tools on every turn). */
const EMBEDDING_CACHE = 4096;

export function createToolFilter(o: { topK: number; embedder?: TextEmbedder | undefined }): ToolFilter {
  const known = new Map<string, Float32Array>();

  async function scores(query: string, texts: readonly string[]): Promise<number[]> {
    if (!o.embedder) return texts.map((t) => wordCosine(query, t));
    const missing = [...new Set(texts.filter((t) => !known.has(t)))];
    const vectors = await o.embedder.embed([query, ...missing]);
    missing.forEach((t, i) => known.set(t, vectors[i + 1] as Float32Array));
    while (known.size > EMBEDDING_CACHE) known.delete(known.keys().next().value as string);
    const q = vectors[0] as Float32Array;
    return texts.map((t) => cosine(q, known.get(t) as Float32Array));
  }

  return {
    async filter(body) {
      const tools = body.tools;
      if (!Array.isArray(tools) || tools.length === 0) return undefined;
      const offered = tools.length;
      const query = lastUserText(body);
      if (offered <= o.topK || query === '') return { kept: offered, offered };
      const forced = forcedName(body.tool_choice);
      const s = await scores(query, tools.map(toolText));
      const ranked = tools
        .map((t, i) => ({
          i,
          score: forced !== undefined && nameOf(t) === forced ? Infinity : (s[i] as number),
        }))
        .sort((a, b) => b.score - a.score || a.i - b.i)
        .slice(0, o.topK);
      const keep = new Set(ranked.map((r) => r.i));
      body.tools = tools.filter((_, i) => keep.has(i));
      return { kept: body.tools.length, offered };
    },
  };
}

function nameOf(tool: unknown): string {
  const fn = (tool as { function?: { name?: unknown } } | null)?.function;
  return typeof fn?.name === 'string' ? fn.name : '';
}

function toolText(tool: unknown): string {
  const fn = (tool as { function?: { description?: unknown } } | null)?.function;
  const description = typeof fn?.description === 'string' ? fn.description : '';
  // snake_case and camelCase names read as words: send_email → "send email".
  const name = nameOf(tool)
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2');
  return `${name}: ${description}`;
}

function forcedName(choice: unknown): string | undefined {
  const fn = (choice as { type?: unknown; function?: { name?: unknown } } | null)?.function;
  return typeof fn?.name === 'string' ? fn.name : undefined;
}

const words = (text: string) => new Set(text.toLowerCase().match(/\p{L}[\p{L}\p{N}]+/gu) ?? []);

/** Cosine of the two texts' word sets: |A ∩ B| / √(|A|·|B|). */
function wordCosine(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  if (x.size === 0 || y.size === 0) return 0;
  let common = 0;
  for (const w of x) if (y.has(w)) common++;
  return common / Math.sqrt(x.size * y.size);
}
