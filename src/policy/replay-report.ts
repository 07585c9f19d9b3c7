import { REPLAY_LIMITATIONS, type ChangeExample, type ReplayResult, type RuleChanges } from './replay.js';

export interface ReplayPolicyInfo {
  readonly files: readonly string[];
  readonly revision: string;
  readonly rules: number;
}

/** What the report says about where its data came from. */
export interface ReportMeta {
  readonly source: string;
  readonly generated: string;
  readonly a: ReplayPolicyInfo;
  readonly b: ReplayPolicyInfo;
}

const arrow = (key: string) => key.replace('→', ' → ');

function percent(n: number, of: number): string {
  return of === 0 ? '–' : `${((100 * n) / of).toFixed(1)}%`;
}

function summaryLine(r: ReplayResult): string {
  return (
    `${count(r.events, 'tool call')} replayed (${count(r.skipped, 'other record')} read). ` +
    `Policy A reproduces the recorded action for ${r.matchesRecorded} of ${r.events} (${percent(r.matchesRecorded, r.events)}). ` +
    `${count(r.changed, 'decision')} ${r.changed === 1 ? 'changes' : 'change'} (${percent(r.changed, r.events)}).`
  );
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

// ---- Markdown -------------------------------------------------------------------------------------

/**
 * Text from the audit log is attacker-influenced (tool arguments): in a table cell it must not end the
 * cell, start markup, or become raw HTML when a viewer renders the Markdown.
 */
export function mdCell(text: string): string {
  return text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*_[\]|#]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

function mdExamples(examples: readonly ChangeExample[]): string[] {
  return mdTable(
    ['seq', 'tool', 'server', 'principal', 'args', 'A → B'],
    examples.map((e) => [
      e.seq === undefined ? '' : String(e.seq),
      mdCell(e.tool),
      mdCell(e.server),
      mdCell(e.principal),
      mdCell(e.args),
      `${e.from} → ${e.to}`,
    ]),
  );
}

export function renderMarkdown(r: ReplayResult, meta: ReportMeta): string {
  const lines = [
    '# agentwall replay: policy A → policy B',
    '',
    `Source: ${mdCell(meta.source)} · generated ${meta.generated}`,
    '',
    ...mdTable(
      ['', 'bundles', 'revision', 'rules'],
      (['a', 'b'] as const).map((k) => [
        k === 'a' ? 'A (baseline)' : 'B (candidate)',
        meta[k].files.map(mdCell).join(', '),
        meta[k].revision,
        String(meta[k].rules),
      ]),
    ),
    '',
    '> **What replay cannot know**',
    ...REPLAY_LIMITATIONS.map((l) => `> - ${l}`),
    '',
    '## Summary',
    '',
    summaryLine(r),
    '',
  ];
  const transitions = Object.entries(r.transitions).sort((x, y) => y[1] - x[1]);
  if (transitions.length > 0)
    lines.push(
      ...mdTable(
        ['change', 'events'],
        transitions.map(([k, n]) => [arrow(k), String(n)]),
      ),
      '',
    );
  lines.push('## Changes per rule', '');
  if (r.rules.length === 0) lines.push('No decision changes.', '');
  for (const rule of r.rules) lines.push(...mdRule(rule));
  lines.push('## Rule firing (enforce and shadow)', '');
  lines.push(
    ...mdTable(
      ['rule', 'A', 'B', 'Δ'],
      r.firing.map((f) => [`\`${f.id}\``, String(f.a), String(f.b), signed(f.b - f.a)]),
    ),
  );
  return `${lines.join('\n')}\n`;
}

function mdRule(rule: RuleChanges): string[] {
  const transitions = Object.entries(rule.transitions).map(([k, n]) => `${arrow(k)}: ${n}`);
  return [
    `### \`${rule.id}\` — ${rule.count} ${rule.count === 1 ? 'event' : 'events'}`,
    '',
    transitions.join(' · '),
    '',
    ...mdExamples(rule.examples),
    '',
  ];
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

// ---- HTML -----------------------------------------------------------------------------------------

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1d2330}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #d5d9e0;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f4f7}td.n{text-align:right}code,td.args{font-family:ui-monospace,monospace;font-size:12px}
td.args{max-width:32rem;word-break:break-all}.note{background:#fff8e6;border-left:4px solid #e0a800;padding:.5rem 1rem}
.tag{display:inline-block;border-radius:3px;padding:0 .3rem;background:#eef;margin-right:.3rem}`;

/** Cells are HTML already escaped by the caller; `classes` styles columns by index (`n`: numbers). */
function htmlTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  classes: Readonly<Record<number, string>> = {},
): string {
  const head = `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const cell = (c: string, i: number) =>
    `<td${classes[i] === undefined ? '' : ` class="${classes[i]}"`}>${c}</td>`;
  const body = rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`);
  return `<table>${head}${body.join('')}</table>`;
}

/** A horizontal bar per rule: how many decisions it changed. Text is escaped; nothing is fetched. */
export function barChart(rules: readonly RuleChanges[]): string {
  if (rules.length === 0) return '';
  const bar = 22;
  const label = 280;
  const width = 760;
  const max = Math.max(...rules.map((r) => r.count));
  const rows = rules.map((r, i) => {
    const y = i * (bar + 6);
    const w = Math.max(2, Math.round(((width - label - 60) * r.count) / max));
    const name = r.id.length > 38 ? `${r.id.slice(0, 37)}…` : r.id;
    return (
      `<g><title>${escapeHtml(r.id)}: ${r.count}</title>` +
      `<text x="${label - 8}" y="${y + 15}" text-anchor="end">${escapeHtml(name)}</text>` +
      `<rect x="${label}" y="${y}" width="${w}" height="${bar}" fill="#4a6cd4"></rect>` +
      `<text x="${label + w + 6}" y="${y + 15}">${r.count}</text></g>`
    );
  });
  const height = rules.length * (bar + 6);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="decisions changed per rule" ` +
    `width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-size="12" font-family="system-ui,sans-serif">` +
    `${rows.join('')}</svg>`
  );
}

export function renderHtml(r: ReplayResult, meta: ReportMeta): string {
  const policies = htmlTable(
    ['', 'bundles', 'revision', 'rules'],
    (['a', 'b'] as const).map((k) => [
      k === 'a' ? 'A (baseline)' : 'B (candidate)',
      meta[k].files.map((f) => `<code>${escapeHtml(f)}</code>`).join('<br>'),
      `<code>${escapeHtml(meta[k].revision)}</code>`,
      String(meta[k].rules),
    ]),
    { 3: 'n' },
  );
  const transitions = Object.entries(r.transitions).sort((x, y) => y[1] - x[1]);
  const firing = htmlTable(
    ['rule', 'fires under A', 'fires under B', 'Δ'],
    r.firing.map((f) => [`<code>${escapeHtml(f.id)}</code>`, String(f.a), String(f.b), signed(f.b - f.a)]),
    { 1: 'n', 2: 'n', 3: 'n' },
  );
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>agentwall replay: ${escapeHtml(meta.a.revision)} → ${escapeHtml(meta.b.revision)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    '<h1>agentwall replay: policy A → policy B</h1>',
    `<p>Source: <code>${escapeHtml(meta.source)}</code> · generated ${escapeHtml(meta.generated)}</p>`,
    policies,
    `<div class="note"><strong>What replay cannot know</strong><ul>${REPLAY_LIMITATIONS.map((l) => `<li>${inlineCode(l)}</li>`).join('')}</ul></div>`,
    '<h2>Summary</h2>',
    `<p>${escapeHtml(summaryLine(r))}</p>`,
    transitions.length === 0
      ? ''
      : htmlTable(
          ['change', 'events'],
          transitions.map(([k, n]) => [escapeHtml(arrow(k)), String(n)]),
          { 1: 'n' },
        ),
    '<h2>Changes per rule</h2>',
    r.rules.length === 0 ? '<p>No decision changes.</p>' : barChart(r.rules),
    ...r.rules.map(htmlRule),
    '<h2>Rule firing (enforce and shadow)</h2>',
    firing,
    '</body></html>',
    '',
  ].join('\n');
}

function htmlRule(rule: RuleChanges): string {
  const transitions = Object.entries(rule.transitions)
    .map(([k, n]) => `<span class="tag">${escapeHtml(arrow(k))}: ${n}</span>`)
    .join('');
  const examples = htmlTable(
    ['seq', 'tool', 'server', 'principal', 'args', 'A → B'],
    rule.examples.map((e) => [
      e.seq === undefined ? '' : String(e.seq),
      `<code>${escapeHtml(e.tool)}</code>`,
      escapeHtml(e.server),
      escapeHtml(e.principal),
      escapeHtml(e.args),
      escapeHtml(`${e.from} → ${e.to}`),
    ]),
    { 0: 'n', 4: 'args' },
  );
  return `<h3><code>${escapeHtml(rule.id)}</code> — ${rule.count} ${rule.count === 1 ? 'event' : 'events'}</h3><p>${transitions}</p>${examples}`;
}

/** The limitation notes use Markdown backticks; in HTML they become <code>, everything else escaped. */
function inlineCode(text: string): string {
  return text
    .split('`')
    .map((part, i) => (i % 2 === 1 ? `<code>${escapeHtml(part)}</code>` : escapeHtml(part)))
    .join('');
}
