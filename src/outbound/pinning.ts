import type { Logger } from 'pino';
import type { McpEvent } from '../core/events.js';
import type { Stage } from '../core/pipeline.js';
import type { FiredRule } from '../core/verdict.js';
import { definitionOf, hashDefinition, type PinRecord, type PinStore, type ToolLike } from '../state/pins.js';

/**
 * Tool pinning, the rug-pull defence (docs/pinning.md): a tool's definition is pinned the first time a
 * listing shows it (trust on first use); a later listing that differs is recorded as pending and the
 * tool is blocked, held for approval or only flagged, per `mode`, until someone approves it.
 */
export type PinMode = 'block' | 'require_approval' | 'warn';

export type PinCheckStatus = 'new' | 'pinned' | 'changed';

export interface PinCheck {
  readonly status: PinCheckStatus;
  readonly record: PinRecord;
  /** For `changed`: the pinned definition against the listed one. */
  readonly diff?: string;
  /** Whether this check wrote the store (a first sight, a newly seen change, a change undone). */
  readonly recorded: boolean;
}

/** The id under which a pin's verdict appears in the audit log and in refusals. */
export const PIN_RULE_ID = 'tool-pin-changed';

export const PinErrorCode = {
  PIN_NOT_FOUND: 'PIN_NOT_FOUND',
  PIN_NOT_CHANGED: 'PIN_NOT_CHANGED',
  PIN_HASH_MISMATCH: 'PIN_HASH_MISMATCH',
} as const;
export type PinErrorCode = (typeof PinErrorCode)[keyof typeof PinErrorCode];

export type ApproveResult =
  { ok: true; record: PinRecord } | { ok: false; code: PinErrorCode; message: string };

type Seen = Pick<PinRecord, 'definition' | 'hash'>;

interface Step {
  readonly status: PinCheckStatus;
  readonly record: PinRecord;
  readonly write?: PinRecord;
}

/** What one listed definition does to the pin; pure, so both the fast path and the transaction use it. */
export function nextPin(
  current: PinRecord | undefined,
  server: string,
  tool: string,
  seen: Seen,
  now: number,
): Step {
  if (current === undefined) {
    const record: PinRecord = { server, tool, ...seen, status: 'pinned', first_seen: now };
    return { status: 'new', record, write: record };
  }
  if (seen.hash === current.hash) {
    // The upstream went back to the approved definition: the pending one no longer describes anything.
    if (current.status === 'pinned') return { status: 'pinned', record: current };
    const record = withoutPending(current);
    return { status: 'pinned', record, write: record };
  }
  if (current.pending?.hash === seen.hash) return { status: 'changed', record: current };
  const pending = { ...seen, seen_at: now };
  const record: PinRecord = { ...withoutPending(current), status: 'changed', pending };
  return { status: 'changed', record, write: record };
}

function withoutPending(record: PinRecord): PinRecord {
  const { pending: _pending, ...rest } = record;
  return { ...rest, status: 'pinned' };
}

/**
 * Checks one listed tool against its pin. The common case (unchanged) is one synchronous read; only a
 * first sight or a new change opens a write transaction, where the step is decided again on the
 * committed record so concurrent listings and processes agree.
 */
export async function checkTool(
  store: PinStore,
  server: string,
  tool: ToolLike,
  now: number = Date.now(),
): Promise<PinCheck> {
  const definition = definitionOf(tool);
  const seen = { definition, hash: hashDefinition(definition) };
  let step = nextPin(store.get(server, tool.name), server, tool.name, seen, now);
  if (step.write !== undefined) {
    step = await store.update(server, tool.name, (c) => nextPin(c, server, tool.name, seen, now));
  }
  const recorded = step.write !== undefined;
  const { status, record } = step;
  if (status !== 'changed') return { status, record, recorded };
  return { status, record, recorded, diff: diffDefinitions(record.definition, definition) };
}

/** Makes the pending definition the pin. `hash` (or a prefix of 8+ digits) binds it to what was reviewed. */
export async function approvePin(
  store: PinStore,
  server: string,
  tool: string,
  by: string,
  options: { hash?: string; now?: number } = {},
): Promise<ApproveResult> {
  const now = options.now ?? Date.now();
  const name = `${server}/${tool}`;
  return store.update(server, tool, (current): ApproveResult & { write?: PinRecord } => {
    if (current === undefined)
      return refuse('PIN_NOT_FOUND', `no pin for tool "${tool}" of server "${server}"`);
    const { pending } = current;
    if (pending === undefined) return refuse('PIN_NOT_CHANGED', `${name} has no pending change to approve`);
    const wanted = options.hash?.toLowerCase();
    if (wanted !== undefined && (wanted.length < 8 || !pending.hash.startsWith(wanted))) {
      const message = `the pending definition of ${name} is ${pending.hash}, not ${options.hash} (review the diff again)`;
      return refuse('PIN_HASH_MISMATCH', message);
    }
    const { pending: _pending, ...rest } = current;
    const record: PinRecord = { ...rest, ...pending, status: 'pinned', approved_at: now, approved_by: by };
    return { ok: true, record, write: record };
  });
}

function refuse(code: PinErrorCode, message: string): ApproveResult {
  return { ok: false, code, message };
}

/** Whether `tools/list` shows the tool: only `block` hides a changed one. */
export function isListed(mode: PinMode, status: PinCheckStatus): boolean {
  return status !== 'changed' || mode !== 'block';
}

const ACTION_FOR = { block: 'deny', require_approval: 'require_approval', warn: 'annotate' } as const;

/** What a call to the tool turns into; undefined when the pin does not restrict it (unknown, pinned). */
export function pinRuleFor(mode: PinMode, record: PinRecord | undefined): FiredRule | undefined {
  if (record?.status !== 'changed') return undefined;
  const { server, tool } = record;
  const message =
    `tool "${tool}" of server "${server}" changed since it was pinned ` +
    `(pin ${record.hash.slice(0, 12)}, listed ${record.pending?.hash.slice(0, 12) ?? '?'}); ` +
    `review it with \`agentwall pins diff ${server} ${tool}\` ` +
    `and approve it with \`agentwall pins approve ${server} ${tool}\``;
  return { id: PIN_RULE_ID, action: ACTION_FOR[mode], mode: 'enforce', message };
}

export interface PinGateOptions {
  readonly store: PinStore;
  readonly mode: PinMode;
  readonly log: Logger;
}

/**
 * The pin step of the tool-call checkpoint. It reads the pin on every call, so an approval (from any
 * process) applies to the next call; events other than `tool_call` pass untouched, so the stage can
 * sit in a list shared by every checkpoint.
 */
export function pinStage(options: Pick<PinGateOptions, 'store' | 'mode'>): Stage<McpEvent> {
  return {
    name: 'pinning',
    run(ctx) {
      const { event } = ctx;
      if (event.kind !== 'tool_call') return;
      const rule = pinRuleFor(options.mode, options.store.get(event.server, event.tool.name));
      if (rule !== undefined) ctx.fired.push(rule);
    },
  };
}

/**
 * Checks one tool of an upstream's listing (under its upstream name) against its pin and says whether
 * the client may see it. A tool whose pin cannot be checked (the store failed) counts as changed, so
 * the gate fails closed under `block`.
 */
export async function checkListedTool(
  options: PinGateOptions,
  server: string,
  tool: ToolLike,
): Promise<boolean> {
  const { store, mode, log } = options;
  let check: PinCheck | undefined;
  try {
    check = await checkTool(store, server, tool);
  } catch (err) {
    log.error({ err, server, tool: tool.name }, 'tool pin check failed; treated as changed');
    return isListed(mode, 'changed');
  }
  if (check.recorded && check.status === 'new') {
    log.info({ server, tool: tool.name, pin: { hash: check.record.hash } }, 'tool pinned on first sight');
  } else if (check.recorded && check.status === 'changed') {
    const pin = { hash: check.record.hash, pending: check.record.pending?.hash, mode };
    log.warn({ server, tool: tool.name, pin }, 'tool definition changed since it was pinned');
  }
  return isListed(mode, check.status);
}

/** The `--- / +++` diff of a changed pin, or undefined when it has no pending definition. */
export function pinDiff(record: PinRecord): string | undefined {
  if (record.pending === undefined) return undefined;
  return diffDefinitions(record.definition, record.pending.definition, {
    before: `pinned ${record.hash}`,
    after: `listed ${record.pending.hash}`,
  });
}

type Op = readonly [' ' | '-' | '+', string];

/**
 * A unified line diff (3 lines of context) of the pretty-printed JSON of two definitions. Definitions
 * are canonicalised, so a key order change is no change and each changed field shows as its own lines.
 */
export function diffDefinitions(
  before: object,
  after: object,
  labels?: { before: string; after: string },
): string {
  const ops = diffLines(
    JSON.stringify(before, null, 2).split('\n'),
    JSON.stringify(after, null, 2).split('\n'),
  );
  if (ops.every(([op]) => op === ' ')) return '';
  const head = labels === undefined ? [] : [`--- ${labels.before}`, `+++ ${labels.after}`];
  return [...head, ...hunks(ops, 3)].join('\n');
}

/** Above this many LCS cells (after trimming the common ends), the middle is shown as replaced whole. */
const MAX_LCS_CELLS = 4_000_000;

function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) [endA, endB] = [endA - 1, endB - 1];
  const same = (lines: readonly string[]): Op[] => lines.map((l) => [' ', l]);
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const middle: Op[] =
    midA.length * midB.length > MAX_LCS_CELLS
      ? [...midA.map((l): Op => ['-', l]), ...midB.map((l): Op => ['+', l])]
      : lcsDiff(midA, midB);
  return [...same(a.slice(0, start)), ...middle, ...same(a.slice(endA))];
}

/** Classic longest-common-subsequence walk; `len[i][j]` is the LCS length of `a[i..]` and `b[j..]`. */
function lcsDiff(a: readonly string[], b: readonly string[]): Op[] {
  const w = b.length + 1;
  const len = new Uint32Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      len[i * w + j] =
        a[i] === b[j]
          ? (len[(i + 1) * w + j + 1] ?? 0) + 1
          : Math.max(len[(i + 1) * w + j] ?? 0, len[i * w + j + 1] ?? 0);
    }
  }
  const ops: Op[] = [];
  let [i, j] = [0, 0];
  while (i < a.length || j < b.length) {
    const lineA = a[i];
    const lineB = b[j];
    if (lineA !== undefined && lineA === lineB) {
      ops.push([' ', lineA]);
      [i, j] = [i + 1, j + 1];
    } else if (
      lineB === undefined ||
      (lineA !== undefined && (len[(i + 1) * w + j] ?? 0) >= (len[i * w + j + 1] ?? 0))
    ) {
      ops.push(['-', lineA ?? '']);
      i += 1;
    } else {
      ops.push(['+', lineB]);
      j += 1;
    }
  }
  return ops;
}

/** Groups changed lines with `context` lines around them under `@@ -start,count +start,count @@` headers. */
function hunks(ops: readonly Op[], context: number): string[] {
  const shown = ops.map((_, k) =>
    ops.slice(Math.max(0, k - context), k + context + 1).some(([op]) => op !== ' '),
  );
  const out: string[] = [];
  let [lineA, lineB] = [1, 1];
  let k = 0;
  while (k < ops.length) {
    if (!shown[k]) {
      // Only unchanged lines are left out, so both sides move on by one.
      [lineA, lineB, k] = [lineA + 1, lineB + 1, k + 1];
      continue;
    }
    let end = k;
    while (end < ops.length && shown[end]) end += 1;
    const body = ops.slice(k, end);
    const countA = body.filter(([op]) => op !== '+').length;
    const countB = body.filter(([op]) => op !== '-').length;
    out.push(`@@ -${lineA},${countA} +${lineB},${countB} @@`, ...body.map(([op, line]) => `${op}${line}`));
    [lineA, lineB, k] = [lineA + countA, lineB + countB, end];
  }
  return out;
}
