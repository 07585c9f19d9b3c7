import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  /** Real path (symlinks resolved), so servers that canonicalise paths agree with the test. */
  readonly path: string;
  remove(): Promise<void>;
}

export async function makeTempDir(prefix = 'agentwall-e2e-'): Promise<TempDir> {
  const path = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
