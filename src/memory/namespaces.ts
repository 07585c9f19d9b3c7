import type { Principal } from '../core/session.js';

/** The namespace a principal writes to when it names none: its own. */
export function ownNamespace(principal: Principal): string {
  return `principal:${principal.id}`;
}

export type NamespaceAccess =
  | { readonly ok: true; readonly namespace: string; readonly shared: boolean }
  | { readonly ok: false; readonly message: string };

/**
 * Which namespace a request means, and whether this principal may use it: its own `principal:<id>`
 * (the default), or one of `memory.shared_namespaces` (an entry ending in `*` admits every namespace
 * with that prefix). Another principal's namespace is never reachable through the memory server.
 */
export function resolveNamespace(
  principal: Principal,
  requested: string | undefined,
  shared: readonly string[],
): NamespaceAccess {
  const own = ownNamespace(principal);
  if (requested === undefined || requested === '' || requested === own) {
    return { ok: true, namespace: own, shared: false };
  }
  if (isShared(requested, shared)) return { ok: true, namespace: requested, shared: true };
  const offered = shared.length > 0 ? ` or a shared one (${shared.join(', ')})` : '';
  return { ok: false, message: `namespace "${requested}" is not available: use your own (${own})${offered}` };
}

export function isShared(namespace: string, shared: readonly string[]): boolean {
  return shared.some((s) => (s.endsWith('*') ? namespace.startsWith(s.slice(0, -1)) : s === namespace));
}
