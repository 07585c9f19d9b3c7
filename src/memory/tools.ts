import type { Tool } from '@modelcontextprotocol/sdk/types.js';

const namespace = {
  type: 'string',
  description:
    'Defaults to your own namespace (principal:<you>); shared namespaces are configured by the operator.',
} as const;
const key = { type: 'string', description: 'The item key (1 to 512 characters).' } as const;

/** The tools of the built-in memory server (docs/memory.md, "Tools"). */
export const MEMORY_TOOLS: readonly Tool[] = [
  {
    name: 'memory_write',
    description:
      'Remember a value under a key. Every write is kept as a new version; reads return the newest. Writes are checked by policy and recorded with what they were derived from.',
    inputSchema: {
      type: 'object',
      properties: {
        key,
        value: { type: 'string', description: 'What to remember.' },
        namespace,
        labels: { type: 'array', items: { type: 'string' }, description: 'Optional tags for the version.' },
      },
      required: ['key', 'value'],
    },
    annotations: {
      title: 'Write memory',
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
      openWorldHint: false,
    },
  },
  {
    name: 'memory_read',
    description: 'Read the newest version of a key.',
    inputSchema: { type: 'object', properties: { key, namespace }, required: ['key'] },
    annotations: { title: 'Read memory', readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'memory_search',
    description: 'Search remembered values (your namespace and the shared ones, or one namespace).',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string' },
        namespace,
        limit: { type: 'integer', minimum: 1, maximum: 50, description: 'At most this many results (10).' },
      },
      required: ['query'],
    },
    annotations: { title: 'Search memory', readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'memory_list',
    description: 'List the keys of a namespace with their newest values.',
    inputSchema: {
      type: 'object',
      properties: {
        namespace,
        prefix: { type: 'string', description: 'Only keys starting with this.' },
        limit: { type: 'integer', minimum: 1, maximum: 1000, description: 'At most this many keys (100).' },
      },
    },
    annotations: { title: 'List memory', readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'memory_history',
    description:
      'Every version of a key, newest first, with its status (revoked and quarantined versions show no value).',
    inputSchema: { type: 'object', properties: { key, namespace }, required: ['key'] },
    annotations: { title: 'Memory history', readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'memory_delete',
    description: 'Forget a key: writes a tombstone version (history keeps the earlier versions).',
    inputSchema: { type: 'object', properties: { key, namespace }, required: ['key'] },
    annotations: {
      title: 'Delete memory',
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    },
  },
];
