import { INDEX, type MemoryDbs } from './memory-keys.js';
import { idsOf } from './memory-revoke.js';
import type { ContentSource, ExternalView, VersionView } from './memory-types.js';

export interface ProvenanceNode {
  readonly id: number;
  readonly kind: 'version' | 'external';
  /** `namespace/key#seq` for versions, `server/tool` for external writes. */
  readonly label: string;
  readonly status: string;
  readonly principal: string;
  readonly session: string;
  readonly time: number;
  /** The content sources this node was derived from directly. */
  readonly sources: readonly ContentSource[];
}

/** Which versions a version was derived from (ancestors) and which were derived from it (descendants). */
export interface ProvenanceGraph {
  readonly root: number;
  readonly nodes: readonly ProvenanceNode[];
  /** `from` → `to`: `to` was derived from `from`. */
  readonly edges: readonly { readonly from: number; readonly to: number }[];
  /** True when the walk stopped at `maxNodes`. */
  readonly truncated: boolean;
}

type Lookup = (id: number) => VersionView | ExternalView | undefined;

/** Walks up the `derived_from` lists and down the `from` index, breadth first, up to `maxNodes` nodes. */
export function provenanceOf(
  dbs: MemoryDbs,
  root: number,
  lookup: Lookup,
  maxNodes: number,
): ProvenanceGraph | undefined {
  const first = lookup(root);
  if (first === undefined) return undefined;
  const nodes = new Map<number, ProvenanceNode>([[root, nodeOf(first)]]);
  const edges = new Map<string, { from: number; to: number }>();
  let truncated = false;
  const visit = (id: number): boolean => {
    if (nodes.has(id)) return false;
    if (nodes.size >= maxNodes) {
      truncated = true;
      return false;
    }
    const record = lookup(id);
    if (record === undefined) return false;
    nodes.set(id, nodeOf(record));
    return true;
  };
  const walk = (next: (id: number) => number[], edge: (id: number, other: number) => [number, number]) => {
    let frontier = [root];
    while (frontier.length > 0 && !truncated) {
      const following: number[] = [];
      for (const id of frontier) {
        for (const other of next(id)) {
          const [from, to] = edge(id, other);
          edges.set(`${from}>${to}`, { from, to });
          if (visit(other)) following.push(other);
        }
      }
      frontier = following;
    }
  };
  const parents = (id: number) =>
    (lookup(id)?.derived_from ?? []).flatMap((d) => (d.type === 'memory' ? [d.id] : []));
  walk(parents, (id, parent) => [parent, id]);
  walk(
    (id) => idsOf(dbs, INDEX.from, id),
    (id, child) => [id, child],
  );
  return { root, nodes: [...nodes.values()], edges: [...edges.values()], truncated };
}

function nodeOf(r: VersionView | ExternalView): ProvenanceNode {
  const isVersion = 'namespace' in r;
  return {
    id: r.id,
    kind: isVersion ? 'version' : 'external',
    label: isVersion ? `${r.namespace}/${r.key}#${r.seq}` : `${r.server}/${r.tool}`,
    status: r.status,
    principal: r.principal,
    session: r.session,
    time: r.time,
    sources: r.derived_from.filter((d): d is ContentSource => d.type === 'content'),
  };
}
