// Complete listings (every page) of an MCP server, through agentwall or straight from the server, so that
// a test can compare what agentwall aggregates with the union of what each server lists on its own.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import { newClient, type ClientHooks } from './clients.js';
import { commandOf, type ServerEntry } from './servers.js';

const MAX_PAGES = 100;

export interface Paged<T> {
  readonly items: T[];
  readonly pages: T[][];
  /** The cursors the server handed out, in order. */
  readonly cursors: string[];
}

export interface Listings {
  readonly tools: Paged<Tool>;
  readonly resources: Paged<Resource>;
  readonly resourceTemplates: Paged<ResourceTemplate>;
  readonly prompts: Paged<Prompt>;
}

/** Follows `nextCursor` to the end; fails on a cursor loop rather than spinning. */
export async function collectPages<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string | undefined }>,
): Promise<Paged<T>> {
  const pages: T[][] = [];
  const cursors: string[] = [];
  let cursor: string | undefined;
  do {
    const r = await page(cursor);
    pages.push(r.items);
    cursor = r.nextCursor;
    if (cursor !== undefined) {
      if (cursors.includes(cursor)) throw new Error(`cursor ${cursor} handed out twice`);
      cursors.push(cursor);
    }
  } while (cursor !== undefined && pages.length < MAX_PAGES);
  if (cursor !== undefined) throw new Error(`more than ${MAX_PAGES} pages`);
  return { items: pages.flat(), pages, cursors };
}

const empty = <T>(): Paged<T> => ({ items: [], pages: [], cursors: [] });

/** Everything the server lists, for each listing its capabilities offer. */
export async function listEverything(client: Client): Promise<Listings> {
  const caps = client.getServerCapabilities() ?? {};
  const tools = caps.tools
    ? await collectPages(async (cursor) => {
        const r = await client.listTools(cursor === undefined ? {} : { cursor });
        return { items: r.tools, nextCursor: r.nextCursor };
      })
    : empty<Tool>();
  const resources = caps.resources
    ? await collectPages(async (cursor) => {
        const r = await client.listResources(cursor === undefined ? {} : { cursor });
        return { items: r.resources, nextCursor: r.nextCursor };
      })
    : empty<Resource>();
  const resourceTemplates = caps.resources
    ? await collectPages(async (cursor) => {
        const r = await client.listResourceTemplates(cursor === undefined ? {} : { cursor });
        return { items: r.resourceTemplates, nextCursor: r.nextCursor };
      })
    : empty<ResourceTemplate>();
  const prompts = caps.prompts
    ? await collectPages(async (cursor) => {
        const r = await client.listPrompts(cursor === undefined ? {} : { cursor });
        return { items: r.prompts, nextCursor: r.nextCursor };
      })
    : empty<Prompt>();
  return { tools, resources, resourceTemplates, prompts };
}

/**
 * Runs `fn` with an SDK client connected straight to the server (no agentwall), declaring the same
 * capabilities as the e2e clients: some servers list different tools depending on them.
 */
export async function withDirectClient<R>(
  entry: ServerEntry,
  hooks: ClientHooks,
  fn: (client: Client) => Promise<R>,
): Promise<R> {
  const { command, args, env } = commandOf(entry);
  const { client } = newClient(hooks);
  const transport = new StdioClientTransport({
    command,
    args,
    env: { ...getDefaultEnvironment(), ...env },
    ...(entry.cwd === undefined ? {} : { cwd: entry.cwd }),
    stderr: 'ignore',
  });
  await client.connect(transport);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
