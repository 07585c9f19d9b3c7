import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import { AuditLog } from './audit-log.js';

/** The data file inside `data_dir`; one LMDB environment holds every store (docs/state.md). */
export const DATA_FILE = 'agentwall.mdb';

export interface Store {
  readonly path: string;
  readonly root: RootDatabase;
  readonly audit: AuditLog;
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the LMDB environment with lmdb-js's durable defaults: every commit is
 * synced (no `noSync`), so an acknowledged write survives a crash or power loss.
 */
export function openStore(dataDir: string): Store {
  const path = join(dataDir, DATA_FILE);
  let root: RootDatabase;
  try {
    mkdirSync(dataDir, { recursive: true });
    root = open({ path, maxDbs: 32 });
  } catch (err) {
    throw new AgentwallError(
      ErrorCode.STORE_OPEN,
      `cannot open data file ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const audit = new AuditLog(root.openDB({ name: 'audit' }));
  return {
    path,
    root,
    audit,
    async close() {
      await audit.flushed();
      await root.close();
    },
  };
}
