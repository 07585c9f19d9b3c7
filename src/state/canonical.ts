import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

// canonicalize is CommonJS (`module.exports = serialize`) but its typings declare an ES default export.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** RFC 8785 (JCS) canonical JSON: the same text for the same value, whatever order its keys came in. */
export function canonicalJson(value: unknown): string {
  return canonicalize(value) ?? '';
}

/** SHA-256 (hex) of a value's canonical JSON: what the audit chain, approvals and pins are bound to. */
export function sha256Canonical(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
