// Upstream entries for agentwall configurations: the reference servers from npm and the crashy fixture.
import type { ConfigInput } from '../../src/config/schema.js';
import { CRASHY_SERVER, EVERYTHING_ENTRY, FILESYSTEM_ENTRY, MEMORY_ENTRY, REPO_ROOT } from './paths.js';

export type ServerEntry = NonNullable<ConfigInput['servers']>[string];

export function everythingServer(): ServerEntry {
  return { command: process.execPath, args: [EVERYTHING_ENTRY, 'stdio'], trust: 'trusted' };
}

/** The filesystem server confined to `allowedDir`. */
export function filesystemServer(allowedDir: string): ServerEntry {
  return { command: process.execPath, args: [FILESYSTEM_ENTRY, allowedDir] };
}

/** The memory server keeping its knowledge graph in `file` (never in its package directory). */
export function memoryServer(file: string): ServerEntry {
  return { command: process.execPath, args: [MEMORY_ENTRY], env: { MEMORY_FILE_PATH: file } };
}

/** `tsx` is resolved from the repository root, so the fixture runs with that as its working directory. */
export function crashyServer(): ServerEntry {
  return { command: process.execPath, args: ['--import', 'tsx', CRASHY_SERVER], cwd: REPO_ROOT };
}

/** The direct command line of an entry, for talking to the server without agentwall in between. */
export function commandOf(entry: ServerEntry): {
  command: string;
  args: string[];
  env: Record<string, string>;
} {
  if (entry.command === undefined) throw new Error('not a stdio server entry');
  return { command: entry.command, args: [...(entry.args ?? [])], env: { ...(entry.env ?? {}) } };
}
