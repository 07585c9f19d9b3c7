import type { DataFlags, StoreCommandDeps } from './store-commands.js';
import { userInfo } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import {
  APPROVAL_STATUSES,
  ApprovalStore,
  type ApprovalRecord,
  type ApprovalStatus,
  type Decision,
} from '../state/approvals.js';

export type { DataFlags } from './store-commands.js';
export type ApprovalCliDeps = StoreCommandDeps;

/** `agentwall approvals list|show|approve|deny`: decide held tool calls from a shell. */
export function registerApprovalCommands(program: Command, deps: ApprovalCliDeps): void {
  const approvals = program.command('approvals').description('List and decide tool calls held for approval');
  withDataFlags(approvals.command('list').description('List approvals, oldest first'))
    .option('--status <status>', `only this status (${APPROVAL_STATUSES.join(', ')})`, parseStatus)
    .action((flags: DataFlags & { status?: ApprovalStatus }) =>
      withStore(deps, flags, async (store) => {
        await store.expireDue();
        printTable(store.list(flags.status === undefined ? {} : { status: flags.status }), deps.io.out);
        return 0;
      }),
    );
  withDataFlags(approvals.command('show').description('Print one approval with its arguments (JSON)'))
    .argument('<id>')
    .action((id: string, flags: DataFlags) =>
      withStore(deps, flags, (store) => {
        const record = store.get(id);
        if (record === undefined) return Promise.resolve(notFound(deps, id));
        deps.io.out(JSON.stringify(record, null, 2));
        return Promise.resolve(0);
      }),
    );
  for (const [name, decision] of [
    ['approve', 'approved'],
    ['deny', 'denied'],
  ] as const) {
    withDataFlags(
      approvals.command(name).description(`${name === 'approve' ? 'Approve' : 'Deny'} a held call`),
    )
      .argument('<id>')
      .option('--reason <text>', 'why (recorded with the decision)')
      .action((id: string, flags: DataFlags & { reason?: string }) =>
        withStore(deps, flags, (store) => decideFromCli(store, deps, id, decision, flags.reason)),
      );
  }
}

function withDataFlags(command: Command): Command {
  return command
    .option('-c, --config <file>', 'configuration file (for data_dir)')
    .option('--data-dir <dir>', 'data directory');
}

async function withStore(
  deps: ApprovalCliDeps,
  flags: DataFlags,
  run: (store: ApprovalStore) => Promise<number>,
): Promise<void> {
  const opened = await deps.openStore(flags);
  try {
    deps.exit(await run(new ApprovalStore(opened.root)));
  } finally {
    await opened.close();
  }
}

async function decideFromCli(
  store: ApprovalStore,
  deps: ApprovalCliDeps,
  id: string,
  decision: Decision,
  reason: string | undefined,
): Promise<number> {
  const change = await store.decide(id, decision, `cli:${deps.user ?? osUser()}`, reason);
  if (!change.ok) {
    deps.io.err(`agentwall: ${cliCode[change.code]}: ${change.message}`);
    return 1;
  }
  const r = change.record;
  deps.io.out(`${r.id} ${r.status}: ${r.server} / ${r.tool} for ${r.principal} (by ${r.decided_by ?? '?'})`);
  return 0;
}

/** The same stable codes as the admin API's error bodies. */
const cliCode = {
  not_found: 'APPROVAL_NOT_FOUND',
  already_decided: 'APPROVAL_ALREADY_DECIDED',
  expired: 'APPROVAL_EXPIRED',
} as const;

function notFound(deps: ApprovalCliDeps, id: string): number {
  deps.io.err(`agentwall: ${cliCode.not_found}: no approval ${id}`);
  return 1;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function parseStatus(value: string): ApprovalStatus {
  if (!APPROVAL_STATUSES.includes(value as ApprovalStatus)) {
    throw new InvalidArgumentError(`must be one of ${APPROVAL_STATUSES.join(', ')}`);
  }
  return value as ApprovalStatus;
}

const COLUMNS = ['ID', 'STATUS', 'SERVER/TOOL', 'PRINCIPAL', 'RULES', 'CREATED', 'EXPIRES', 'DECIDED BY'];

function printTable(records: readonly ApprovalRecord[], out: (line: string) => void): void {
  if (records.length === 0) {
    out('no approvals');
    return;
  }
  const rows = records.map((r) => [
    r.id,
    r.status,
    `${r.server}/${r.tool}`,
    r.principal,
    r.rules.join(',') || '-',
    new Date(r.created_at).toISOString(),
    new Date(r.expires_at).toISOString(),
    r.decided_by ?? '-',
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((row) => (row[i] ?? '').length)));
  for (const row of [COLUMNS, ...rows]) {
    out(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  }
}
