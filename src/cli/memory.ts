import { userInfo } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { diffDefinitions } from '../outbound/pinning.js';
import type { Compensator } from '../memory/compensate.js';
import { MemoryStore } from '../state/memory.js';
import type { RestoreOutcome, RevokeCriteria, RevokeOutcome, VersionView } from '../state/memory-types.js';
import type { DataFlags, StoreCommandDeps } from './store-commands.js';

export interface MemoryCliDeps extends StoreCommandDeps {
  /**
   * Issues the compensating calls configured in `memory.external` for a revocation's external writes,
   * through the servers of the configuration the flags name (`revoke --compensate`).
   */
  readonly compensator?: (flags: DataFlags, memory: MemoryStore) => Promise<Compensator>;
}

interface OutputFlags extends DataFlags {
  json?: boolean;
}

interface RevokeFlags extends OutputFlags {
  id?: number[];
  session?: string;
  principal?: string;
  server?: string;
  tool?: string;
  url?: string;
  hash?: string;
  label?: string;
  namespace?: string;
  since?: number;
  until?: number;
  cascade?: boolean;
  reason?: string;
  dryRun?: boolean;
  compensate?: boolean;
}

/** `agentwall memory list|get|history|diff|revoke|restore|rollback|revocations` (docs/memory.md, "CLI"). */
export function registerMemoryCommands(program: Command, deps: MemoryCliDeps): void {
  const memory = program
    .command('memory')
    .description('Inspect agent memory; revoke, restore and roll back writes');
  const run = (flags: DataFlags, fn: (m: MemoryStore) => number | Promise<number>) =>
    withMemory(deps, flags, fn);
  const out = (flags: OutputFlags, value: unknown, text: () => string[]) => {
    for (const line of flags.json === true ? [JSON.stringify(value, null, 2)] : text()) deps.io.out(line);
  };

  common(memory.command('list'))
    .description('List namespaces, or the live keys of one namespace with their newest visible value')
    .option('--namespace <ns>', 'the namespace to list')
    .option('--prefix <prefix>', 'only keys starting with this')
    .action((flags: OutputFlags & { namespace?: string; prefix?: string }) =>
      run(flags, (m) => {
        if (flags.namespace === undefined) {
          const all = m.namespaces();
          out(flags, all, () =>
            all.map((n) => `${n.namespace}  ${n.versions} versions, last write ${iso(n.last_write)}`),
          );
          return 0;
        }
        const items = m.list(flags.namespace, flags.prefix === undefined ? {} : { prefix: flags.prefix });
        out(flags, items, () => items.map((v) => `${v.key}  #${v.seq} (id ${v.id})  ${oneLine(v.value)}`));
        return 0;
      }),
    );

  common(memory.command('get'))
    .description('The newest visible version of an item, or one version by id (any status)')
    .argument('[namespace]')
    .argument('[key]')
    .option('--id <id>', 'one version by id', parseId)
    .action((ns: string | undefined, key: string | undefined, flags: OutputFlags & { id?: number }) =>
      run(flags, (m) => {
        const v = flags.id !== undefined ? m.version(flags.id) : ns && key ? m.get(ns, key) : undefined;
        if (flags.id === undefined && (ns === undefined || key === undefined))
          return usage(deps, 'give NAMESPACE KEY, or --id ID');
        if (v === undefined)
          return missing(
            deps,
            flags.id !== undefined ? `no version ${flags.id}` : `nothing visible under ${ns}/${key}`,
          );
        out(flags, v, () => describeVersion(v));
        return 0;
      }),
    );

  common(memory.command('history'))
    .description('Every version of an item, newest first, with its status and provenance')
    .argument('<namespace>')
    .argument('<key>')
    .action((ns: string, key: string, flags: OutputFlags) =>
      run(flags, (m) => {
        const history = m.history(ns, key);
        if (history.length === 0) return missing(deps, `no versions of ${ns}/${key}`);
        out(flags, history, () => history.flatMap((v) => [...describeVersion(v), '']));
        return 0;
      }),
    );

  common(memory.command('diff'))
    .description('How one version of an item differs from another (default: the newest from the one before)')
    .argument('<namespace>')
    .argument('<key>')
    .option('--from <seq>', 'the older version (seq)', parseId)
    .option('--to <seq>', 'the newer version (seq)', parseId)
    .action((ns: string, key: string, flags: OutputFlags & { from?: number; to?: number }) =>
      run(flags, (m) => {
        const history = m.history(ns, key);
        const to = history.find((v) => v.seq === (flags.to ?? history[0]?.seq));
        const from = history.find((v) => v.seq === (flags.from ?? (to?.seq ?? 0) - 1));
        if (to === undefined || from === undefined)
          return missing(deps, `${ns}/${key} has no such pair of versions`);
        const diff = diffDefinitions(lines(from.value), lines(to.value), {
          before: `#${from.seq} ${from.status} ${iso(from.time)}`,
          after: `#${to.seq} ${to.status} ${iso(to.time)}`,
        });
        out(flags, { from, to, diff }, () => [diff === '' ? 'no difference' : diff]);
        return 0;
      }),
    );

  common(memory.command('revoke'))
    .description(
      'Revoke versions (and what was derived from them) by id, session, principal, source, label, window',
    )
    .option('--id <id>', 'a version id (repeatable)', collectIds)
    .option('--session <id>', 'versions written in this session')
    .option('--principal <id>', 'versions written by this principal')
    .option('--server <name>', 'versions derived from content of this server')
    .option('--tool <name>', 'versions derived from content of this tool (with --server: of that server)')
    .option('--url <glob>', 'versions derived from content from a URL matching this glob (* and ?)')
    .option('--hash <sha256>', 'versions derived from content with this SHA-256')
    .option('--label <label>', 'versions with this label')
    .option('--namespace <ns>', 'only versions of this namespace')
    .option('--since <time>', 'only versions written at or after this time (ISO 8601 or ms)', parseTime)
    .option('--until <time>', 'only versions written at or before this time', parseTime)
    .option('--no-cascade', 'do not revoke what was derived from the matched versions')
    .option('--reason <text>', 'why (kept with the revocation)')
    .option('--dry-run', 'print what would change; change nothing')
    .option(
      '--compensate',
      'issue the configured compensating calls of revoked external writes (memory.external)',
    )
    .action((flags: RevokeFlags) =>
      run(flags, async (m) => {
        const outcome = await m.revoke(criteriaOf(flags), actor(deps, flags));
        const code = report(deps, m, flags, outcome, 'revoke');
        if (flags.compensate !== true || !outcome.ok || outcome.revocation === undefined) return code;
        if (outcome.external.length === 0) return code;
        if (!deps.compensator) return missing(deps, 'compensation is not available in this build');
        const issue = await deps.compensator(flags, m);
        const results = await issue(outcome.revocation.id, outcome.external);
        for (const r of results)
          deps.io.out(`compensation of external write ${r.id}: ${r.ok ? 'done' : 'FAILED'}: ${r.detail}`);
        return results.every((r) => r.ok) ? code : 1;
      }),
    );

  common(memory.command('rollback'))
    .description('Revoke every version of a namespace written after a time')
    .requiredOption('--namespace <ns>', 'the namespace')
    .requiredOption('--to <time>', 'keep what was written up to this time (ISO 8601 or ms)', parseTime)
    .option('--cascade', 'also revoke what was derived from the rolled-back versions')
    .option('--reason <text>', 'why (kept with the revocation)')
    .option('--dry-run', 'print what would change; change nothing')
    .action((flags: RevokeFlags & { to: number }) =>
      run(flags, async (m) => {
        const target = { namespace: flags.namespace ?? '', to: flags.to, cascade: flags.cascade === true };
        return report(deps, m, flags, await m.rollback(target, actor(deps, flags)), 'rollback');
      }),
    );

  common(memory.command('restore'))
    .description('Undo one revocation (what no other revocation holds becomes visible again)')
    .argument('<revocation>', 'the revocation id', parseId)
    .option('--reason <text>', 'why (kept with the revocation)')
    .option('--dry-run', 'print what would change; change nothing')
    .action((id: number, flags: RevokeFlags) =>
      run(flags, async (m) => report(deps, m, flags, await m.restore(id, actor(deps, flags)), 'restore')),
    );

  common(memory.command('revocations'))
    .description('List revocations, oldest first')
    .action((flags: OutputFlags) =>
      run(flags, (m) => {
        const all = m.revocations();
        out(flags, all, () =>
          all.map(
            (r) =>
              `${r.id}  ${r.action} by ${r.by} at ${iso(r.time)}: ${r.versions.length} versions, ${r.external.length} external` +
              `${r.restored ? ` (restored by ${r.restored.by} at ${iso(r.restored.time)})` : ''}  ${JSON.stringify(r.criteria)}` +
              `${r.reason ? `  "${r.reason}"` : ''}`,
          ),
        );
        return 0;
      }),
    );
}

function common(command: Command): Command {
  return command
    .option('-c, --config <file>', 'configuration file (for data_dir)')
    .option('--data-dir <dir>', 'data directory')
    .option('--json', 'print JSON');
}

async function withMemory(
  deps: MemoryCliDeps,
  flags: DataFlags,
  fn: (m: MemoryStore) => number | Promise<number>,
) {
  const store = await deps.openStore(flags);
  try {
    deps.exit(await fn(new MemoryStore(store.root, store.audit)));
  } finally {
    await store.close();
  }
}

function criteriaOf(f: RevokeFlags): RevokeCriteria {
  const c: Record<string, unknown> = {
    ids: f.id,
    session: f.session,
    principal: f.principal,
    server: f.server,
    tool: f.tool,
    url: f.url,
    content_hash: f.hash,
    label: f.label,
    namespace: f.namespace,
    since: f.since,
    until: f.until,
    cascade: f.cascade !== false,
  };
  return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined));
}

function actor(deps: MemoryCliDeps, f: RevokeFlags) {
  return {
    by: `cli:${deps.user ?? osUser()}`,
    dryRun: f.dryRun === true,
    ...(f.reason === undefined ? {} : { reason: f.reason }),
  };
}

/** Prints a revoke, rollback or restore outcome: each version that changes, then a summary line. */
function report(
  deps: MemoryCliDeps,
  m: MemoryStore,
  flags: RevokeFlags,
  o: RevokeOutcome | RestoreOutcome,
  what: 'revoke' | 'rollback' | 'restore',
): number {
  if (!o.ok) {
    deps.io.err(`agentwall: memory: ${o.code}: ${o.message}`);
    return o.code === 'no_criteria' || o.code === 'invalid' ? 2 : 1;
  }
  if (flags.json === true) {
    deps.io.out(JSON.stringify(o, null, 2));
    return 0;
  }
  const verb =
    what === 'restore'
      ? ['restore', 'restored']
      : what === 'rollback'
        ? ['roll back', 'rolled back']
        : ['revoke', 'revoked'];
  const changed = new Set(o.changed);
  for (const id of [...o.versions, ...o.external]) {
    const v = m.version(id);
    const x = v === undefined ? m.external(id) : undefined;
    const what = v ? `${v.namespace}/${v.key}#${v.seq}` : x ? `external ${x.server}/${x.tool}` : '?';
    deps.io.out(`${changed.has(id) ? '*' : ' '} ${id}  ${what}`);
  }
  const n = o.versions.length + o.external.length;
  const rid = o.revocation?.id;
  const head = o.dry_run ? `dry run: would ${verb[0]}` : `${verb[1]}`;
  deps.io.out(
    `${head} ${n} (${o.versions.length} versions, ${o.external.length} external writes); ${o.changed.length} change status (*)` +
      (rid === undefined
        ? ''
        : what === 'restore' || o.dry_run
          ? ` [revocation ${rid}]`
          : ` [revocation ${rid}; undo with: agentwall memory restore ${rid}]`),
  );
  return 0;
}

function describeVersion(v: VersionView): string[] {
  const sources = v.derived_from.map((d) =>
    d.type === 'memory'
      ? `memory version ${d.id}`
      : `${d.kind} ${d.server}/${d.subject} sha256:${d.content_hash.slice(0, 16)}…${d.url ? ` ${d.url}` : ''} [${d.labels.join(',')}]`,
  );
  return [
    `${v.namespace}/${v.key} #${v.seq} (id ${v.id}) ${v.status}${v.tombstone ? ' tombstone' : ''}${v.revoked_by.length > 0 ? ` by revocation ${v.revoked_by.join(', ')}` : ''}`,
    `  written by ${v.principal} in session ${v.session} at ${iso(v.time)}${v.labels.length > 0 ? `; labels ${v.labels.join(', ')}` : ''}`,
    ...sources.map((s) => `  derived from ${s}`),
    `  value: ${oneLine(v.value)}`,
  ];
}

function lines(value: unknown): string[] {
  return (typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? 'null')).split('\n');
}

function oneLine(value: unknown): string {
  const s = (typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null')).replace(/\s+/g, ' ');
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function usage(deps: MemoryCliDeps, message: string): number {
  deps.io.err(`agentwall memory: ${message}`);
  return 2;
}

function missing(deps: MemoryCliDeps, message: string): number {
  deps.io.err(`agentwall memory: ${message}`);
  return 1;
}

function parseId(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function collectIds(value: string, previous: number[] | undefined): number[] {
  return [...(previous ?? []), parseId(value)];
}

function parseTime(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n))
    throw new InvalidArgumentError('must be an ISO 8601 time or milliseconds since the epoch');
  return n;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
