import type { AttackSummary, BenignSummary, EvalSummary } from './summary.js';

const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

/** `[#######-----------]  123/600  ASR 12.0%  utility 80.0%  41s` — one line, redrawn with `\r`. */
export function progressLine(
  done: number,
  total: number,
  elapsedMs: number,
  counts: { attacks: number; succeeded: number; benign: number; allowed: number },
  width = 30,
): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
  const asr = counts.attacks === 0 ? '-' : pct(counts.succeeded / counts.attacks);
  const utility = counts.benign === 0 ? '-' : pct(counts.allowed / counts.benign);
  return `[${bar}] ${String(done).padStart(String(total).length)}/${total}  ASR ${asr}  utility ${utility}  ${Math.round(elapsedMs / 1000)}s`;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function row(label: string, a: AttackSummary, b: BenignSummary): string[] {
  const cell = (n: number, total: number) => (total === 0 ? '-' : String(n));
  return [
    label,
    String(a.total),
    cell(a.succeeded, a.total),
    pct(a.asr),
    cell(a.held, a.total),
    String(b.total),
    cell(b.allowed, b.total),
    pct(b.utility),
    cell(b.held, b.total),
  ];
}

function rules(title: string, counts: Readonly<Record<string, number>>): string[] {
  const entries = Object.entries(counts).sort((x, y) => y[1] - x[1]);
  if (entries.length === 0) return [];
  return [title, ...entries.map(([id, n]) => `  ${String(n).padStart(5)}  ${id}`)];
}

/** The readable report: one row per source and the total, the deciding rules, failures, time. */
export function renderSummary(s: EvalSummary): string[] {
  const header = ['source', 'attacks', 'succeeded', 'ASR', 'held', 'benign', 'allowed', 'utility', 'held'];
  const sources = Object.entries(s.by_source).map(([name, k]) => row(name, k.attack, k.benign));
  const lines = [
    ...table([header, ...sources, row('total', s.attack, s.benign)]),
    '',
    ...rules('rules that stopped attacks:', s.attack.stopped_by_rule),
    ...rules('rules that stopped benign cases:', s.benign.stopped_by_rule),
  ];
  if (s.failures.length > 0) lines.push(`failures (first ${s.failures.length}): ${s.failures.join(', ')}`);
  const errors = s.attack.errors + s.benign.errors;
  if (errors > 0) {
    lines.push(`${errors} cases could not be run:`);
    for (const e of s.errors) lines.push(`  ${e.id}: ${e.error.split('\n')[0] ?? ''}`);
  }
  lines.push(
    `elapsed ${s.elapsed_s}s at concurrency ${s.concurrency}${s.mode === undefined ? '' : ` (${s.mode})`}; per case ${s.timing.case_ms.mean} ms mean, ${s.timing.case_ms.p95} ms p95 (agentwall start ${s.timing.start_ms.mean} ms mean)`,
  );
  return lines;
}
