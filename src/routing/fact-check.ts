/**
 * The `fact_check` signal: does a prompt ask for verifiable facts (names, dates, quantities,
 * statistics, sources)? A documented heuristic, not a model: a sum of weighted cues, clamped to
 * [0, 1]. It sees the wording of the request only — it cannot tell whether the answer will contain
 * claims, and it misses factual requests phrased without these cues (docs/routing.md lists the limits).
 */
export interface FactCheckScore {
  /** In [0, 1]; `fact_check` is `score >= FACT_CHECK_THRESHOLD`. */
  readonly score: number;
  /** The cues that matched, for the debug header and the playground. */
  readonly cues: readonly string[];
}

export const FACT_CHECK_THRESHOLD = 0.5;

interface Cue {
  readonly name: string;
  readonly weight: number;
  readonly re: RegExp;
}

/** Each cue counts once. Positive cues are questions about the world; negative ones are tasks. */
const CUES: readonly Cue[] = [
  {
    name: 'who_when_where',
    weight: 0.5,
    re: /(^|[.?!:;]\s*)(who|when|where)\b|\b(who|when|where) (is|was|were|did|does|do|has|had|won|invented|discovered|founded|wrote|built|made)\b/i,
  },
  { name: 'quantity', weight: 0.5, re: /\bhow (many|much|old|long|far|tall|big|large|high|deep)\b/i },
  {
    name: 'what_fact',
    weight: 0.5,
    re: /\b(what|which) (year|date|day|century|country|city|company|person|capital|population)\b|\bwhat (is|was|are|were) the (capital|population|name|height|distance|date|size|speed|boiling|melting|largest|smallest|first|last)\b/i,
  },
  {
    name: 'citation',
    weight: 0.5,
    re: /\b(cite|citations?|sources?|references?|according to|stud(y|ies)|peer[- ]reviewed|evidence|is it true|fact[- ]check|verify|accurate)\b/i,
  },
  {
    name: 'statistic',
    weight: 0.3,
    re: /\b(percent(age)?|population|gdp|statistics?|rate|average|median|record|revenue|number of|census)\b|\d\s*%/i,
  },
  {
    name: 'date',
    weight: 0.2,
    re: /\b(1[0-9]{3}|20[0-9]{2})\b|\b(january|february|march|april|june|july|august|september|october|november|december)\s+\d/i,
  },
  { name: 'named_entity', weight: 0.1, re: /\s[A-Z][a-z]+(\s+[A-Z][a-z]+)*/ },
  {
    name: 'creative',
    weight: -0.5,
    re: /\b(write|compose) (me )?(a|an) (poem|story|song|joke|limerick|haiku|essay)\b|\b(imagine|pretend|brainstorm|fiction(al)?)\b/i,
  },
  {
    name: 'code',
    weight: -0.3,
    re: /```|\b(function|code|script|refactor|debug|compile|regex|sql|python|javascript|typescript|class|method)\b/i,
  },
  {
    name: 'opinion',
    weight: -0.3,
    re: /\b(do you think|your opinion|should i|would you|recommend|prefer|feel about)\b/i,
  },
];

export function factCheckScore(text: string): FactCheckScore {
  let score = 0;
  const cues: string[] = [];
  for (const c of CUES) {
    if (!c.re.test(text)) continue;
    score += c.weight;
    cues.push(c.name);
  }
  return { score: Math.max(0, Math.min(1, Math.round(score * 100) / 100)), cues };
}
