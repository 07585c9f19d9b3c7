// The three reference servers of the aggregation tests (everything, filesystem, memory) in a temp dir of
// their own, and the client hooks that answer what they ask: roots (changeable), approvals that
// agentwall's policy holds, and everything's elicitation form.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ElicitResult, Root } from '@modelcontextprotocol/sdk/types.js';
import { isApprovalRequest, type ClientHooks } from './clients.js';
import { everythingServer, filesystemServer, memoryServer, type ServerEntry } from './servers.js';
import { makeTempDir, type TempDir } from './temp-dir.js';

/** In configuration (and so listing) order. */
export const SERVER_NAMES = ['everything', 'filesystem', 'memory'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

/** What the client fills in when everything's trigger-elicitation-request asks. */
export const ELICITED_NAME = 'Ada Lovelace';

export interface ThreeServers {
  readonly tmp: TempDir;
  /** The one directory the filesystem server may touch (until the roots change). */
  readonly filesDir: string;
  readonly memoryFile: string;
  readonly servers: Record<ServerName, ServerEntry>;
  readonly hooks: ClientHooks;
  /** What the client answers to roots/list from now on (notify with sendRootsListChanged). */
  setRoots(roots: Root[]): void;
  readonly initialRoots: readonly Root[];
}

export async function prepareThreeServers(): Promise<ThreeServers> {
  const tmp = await makeTempDir();
  const filesDir = join(tmp.path, 'files');
  const memoryFile = join(tmp.path, 'memory.jsonl');
  await mkdir(filesDir);
  const initialRoots = [{ uri: pathToFileURL(filesDir).href, name: 'e2e-files' }];
  let roots: Root[] = initialRoots;
  return {
    tmp,
    filesDir,
    memoryFile,
    servers: {
      everything: everythingServer(),
      filesystem: filesystemServer(filesDir),
      memory: memoryServer(memoryFile),
    },
    hooks: {
      roots: () => roots,
      // The person at the client approves what agentwall's policy holds for approval (the default
      // bundle holds destructive tools such as write_file), and fills in everything's form.
      elicit: (params): ElicitResult =>
        isApprovalRequest(params)
          ? { action: 'accept', content: { approve: true } }
          : { action: 'accept', content: { name: ELICITED_NAME, check: true, integer: 7 } },
    },
    setRoots: (r) => (roots = r),
    initialRoots,
  };
}
