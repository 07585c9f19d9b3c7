import type { DataFlags, StoreCommandDeps } from './store-commands.js';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { approvePin, pinDiff } from '../outbound/pinning.js';
import { openPinStore, type PinRecord, type PinStore } from '../state/pins.js';

export type PinCommandDeps = StoreCommandDeps;
type StoreFlags = DataFlags;

/** `agentwall pins list|diff|approve` (docs/pinning.md). */
export function registerPinCommands(program: Command, deps: PinCommandDeps): void {
  const pins = program.command('pins').description('Review and approve pinned tool definitions');
  const withStore = async (flags: StoreFlags, run: (pins: PinStore) => number | Promise<number>) => {
    const store = await deps.openStore(flags);
    try {
      deps.exit(await run(openPinStore(store.root)));
    } finally {
      await store.close();
    }
  };

  storeOptions(pins.command('list'))
    .description('List pinned tools and their status (pinned, changed)')
    .option('--changed', 'only tools whose definition changed and waits for approval')
    .action((flags: StoreFlags & { changed?: boolean }) => withStore(flags, (s) => listPins(s, flags, deps)));

  storeOptions(pins.command('diff'))
    .description('Show how the listed definition of a changed tool differs from its pin')
    .argument('<server>')
    .argument('<tool>')
    .action((server: string, tool: string, flags: StoreFlags) =>
      withStore(flags, (s) => showDiff(s, server, tool, deps)),
    );

  storeOptions(pins.command('approve'))
    .description('Make the pending definition of a changed tool its pin')
    .argument('<server>')
    .argument('<tool>')
    .option('--hash <hash>', 'approve only if the pending definition has this hash (8+ leading digits)')
    .action((server: string, tool: string, flags: StoreFlags & { hash?: string }) =>
      withStore(flags, (s) => approve(s, server, tool, flags.hash, deps)),
    );
}

function storeOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'configuration file (for data_dir)')
    .option('--data-dir <dir>', 'data directory');
}

function listPins(store: PinStore, flags: { changed?: boolean }, deps: PinCommandDeps): number {
  const records = store.list().filter((r) => flags.changed !== true || r.status === 'changed');
  if (records.length === 0) {
    deps.io.out(flags.changed === true ? 'no changed tools' : 'no pinned tools');
    return 0;
  }
  const rows = [
    ['SERVER', 'TOOL', 'STATUS', 'HASH', 'SINCE', 'APPROVED BY'],
    ...records.map((r) => [
      r.server,
      r.tool,
      r.status,
      r.hash.slice(0, 12) + (r.pending === undefined ? '' : ` → ${r.pending.hash.slice(0, 12)}`),
      iso(r.pending?.seen_at ?? r.approved_at ?? r.first_seen),
      r.approved_by ?? '-',
    ]),
  ];
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? [];
  const line = (row: string[]) => row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ');
  for (const row of rows) deps.io.out(line(row).trimEnd());
  return 0;
}

async function approve(
  store: PinStore,
  server: string,
  tool: string,
  hash: string | undefined,
  deps: PinCommandDeps,
): Promise<number> {
  const by = `cli:${deps.user ?? osUser()}`;
  const result = await approvePin(store, server, tool, by, { hash });
  if (!result.ok) {
    deps.io.err(`agentwall: ${result.code}: ${result.message}`);
    return 1;
  }
  deps.io.out(`approved ${server}/${tool}: pinned ${result.record.hash} (by ${by})`);
  return 0;
}

function showDiff(store: PinStore, server: string, tool: string, deps: PinCommandDeps): number {
  const record = store.get(server, tool);
  if (record === undefined) {
    deps.io.err(`agentwall: PIN_NOT_FOUND: no pin for tool "${tool}" of server "${server}"`);
    return 1;
  }
  deps.io.out(headline(record));
  const diff = pinDiff(record);
  if (diff !== undefined) {
    deps.io.out(diff);
    const args = [server, tool, '--hash', record.pending?.hash ?? ''].map(shellWord).join(' ');
    deps.io.out(`approve with: agentwall pins approve ${args}`);
  }
  return 0;
}

function headline(record: PinRecord): string {
  const name = `${record.server}/${record.tool}`;
  if (record.pending === undefined) return `${name}: pinned ${record.hash}; no pending change`;
  return `${name}: changed; listed ${iso(record.pending.seen_at)} with a definition that differs from its pin`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Quotes a word for a POSIX shell when it needs it, so the printed command can be pasted. */
function shellWord(word: string): string {
  return /^[\w.:@/+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    // userInfo() throws where the uid has no passwd entry (some containers).
    return 'unknown';
  }
}
