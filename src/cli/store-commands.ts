import type { RootDatabase } from 'lmdb';
import type { AuditLog } from '../state/audit-log.js';

/** The flags every data-file command takes to find it, as `audit verify` does. */
export interface DataFlags {
  config?: string;
  dataDir?: string;
}

/** What the commands that open the data file (approvals, pins) get from main.ts: one object for all. */
export interface StoreCommandDeps {
  readonly io: { readonly out: (line: string) => void; readonly err: (line: string) => void };
  /** Opens the data file that the flags name (`configFrom(flags)` then `openStore(config.data_dir)`). */
  readonly openStore: (
    flags: DataFlags,
  ) => Promise<{ readonly root: RootDatabase; readonly audit?: AuditLog; close(): Promise<void> }>;
  /** Records the command's exit status (main's `code`). */
  readonly exit: (code: number) => void;
  /** Recorded as `cli:<user>` on decisions; the OS user by default. */
  readonly user?: string;
}
