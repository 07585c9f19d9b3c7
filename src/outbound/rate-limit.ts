import picomatch from 'picomatch';
import type { McpEvent } from '../core/events.js';
import type { Stage } from '../core/pipeline.js';

export interface RateLimitSpec {
  readonly id: string;
  /** Whose bucket a call draws from: one per principal, per session, or per (server, tool). */
  readonly scope: 'principal' | 'session' | 'tool';
  readonly per_minute: number;
  /** Bucket size: calls allowed at once after a quiet period (default: per_minute). */
  readonly burst?: number | undefined;
  /** Which calls count, as globs over `server/tool` (default: all). */
  readonly tools?: readonly string[] | undefined;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept at most; the least recently used are dropped first (an idle bucket is full anyway). */
const MAX_BUCKETS = 50_000;

/**
 * Token buckets per principal, session or tool (configuration `limits`). A call that finds its bucket
 * empty fires `rate-limit:<id>` (deny). The tokens left are signals (`signals["rate.<id>"]`), so
 * policies can act earlier (e.g. require approval when few are left).
 */
export function rateLimitStage(
  specs: readonly RateLimitSpec[],
  clock: () => number = Date.now,
): Stage<McpEvent> {
  const limits = specs.map((s) => ({
    ...s,
    burst: s.burst ?? s.per_minute,
    matches: s.tools && s.tools.length > 0 ? picomatch([...s.tools]) : () => true,
  }));
  const buckets = new Map<string, Bucket>();
  return {
    name: 'rate-limit',
    run(ctx) {
      const e = ctx.event;
      if (e.kind !== 'tool_call') return;
      const target = `${e.server}/${e.tool.name}`;
      const now = clock();
      for (const l of limits) {
        if (!l.matches(target)) continue;
        const key = `${l.id}\0${l.scope === 'principal' ? e.principal.id : l.scope === 'session' ? e.session.id : target}`;
        const b = buckets.get(key) ?? { tokens: l.burst, at: now };
        buckets.delete(key);
        b.tokens = Math.min(l.burst, b.tokens + ((now - b.at) / 60_000) * l.per_minute);
        b.at = now;
        if (b.tokens >= 1) {
          b.tokens -= 1;
        } else {
          ctx.fired.push({
            id: `rate-limit:${l.id}`,
            action: 'deny',
            mode: 'enforce',
            message: `rate limit ${l.id}: at most ${l.per_minute} calls per minute per ${l.scope}`,
          });
        }
        ctx.signals[`rate.${l.id}`] = Math.floor(b.tokens);
        buckets.set(key, b);
        if (buckets.size > MAX_BUCKETS) buckets.delete(buckets.keys().next().value as string);
      }
    },
  };
}
