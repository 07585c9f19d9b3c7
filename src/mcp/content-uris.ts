import type { Naming } from './naming.js';

/**
 * Resource URIs inside content (MCP spec, content types: `resource_link`, embedded `resource`) are
 * renamed into the shared namespace, so that a client can `resources/read` what a tool or prompt
 * pointed it to. Without prefixing, content passes through untouched (and is not copied).
 */
export function publicContent<T>(naming: Naming, server: string, blocks: readonly T[]): T[] {
  if (!naming.isPrefixed) return blocks as T[];
  return blocks.map((block) => publicBlock(naming, server, block));
}

function publicBlock<T>(naming: Naming, server: string, block: T): T {
  if (typeof block !== 'object' || block === null) return block;
  const b = block as Record<string, unknown>;
  if (b.type === 'resource_link' && typeof b.uri === 'string') {
    return { ...b, uri: naming.publicUri(server, b.uri) } as T;
  }
  const resource = b.resource as Record<string, unknown> | undefined;
  if (b.type === 'resource' && resource && typeof resource.uri === 'string') {
    return { ...b, resource: { ...resource, uri: naming.publicUri(server, resource.uri) } } as T;
  }
  return block;
}
