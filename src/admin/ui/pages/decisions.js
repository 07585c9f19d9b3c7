// Decisions: the audit log newest first, filtered, growing live from the SSE stream; "Why" shows the
// event, the signal values, the rules that fired and the time each pipeline stage took.
import { api, h, json, readEvents, table, time } from '../api.js';

const FILTERS = ['session', 'principal', 'server', 'tool', 'action', 'rule'];

export async function render(main, { fail, say }) {
  const why = h(
    'section',
    { class: 'panel', 'aria-label': 'Why', id: 'why' },
    h('p', {}, 'Choose a decision to see why.'),
  );
  const rows = h('tbody', { id: 'decision-rows' });
  const inputs = Object.fromEntries(FILTERS.map((f) => [f, h('input', { name: f, id: `f-${f}` })]));
  const form = h(
    'form',
    { class: 'inline', 'aria-label': 'Filter decisions' },
    FILTERS.map((f) => h('label', { for: `f-${f}` }, f, inputs[f])),
    h('button', { type: 'submit' }, 'Filter'),
  );
  const live = h('span', { id: 'live', role: 'status' }, 'live: connecting…');
  main.append(
    h('h2', {}, 'Decisions'),
    form,
    live,
    h(
      'div',
      { class: 'columns' },
      h(
        'div',
        {},
        h(
          'table',
          {},
          h('caption', { class: 'visually-hidden' }, 'Decisions, newest first'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['time', 'kind', 'server', 'subject', 'action', 'rules', ''].map((x) =>
                h('th', { scope: 'col' }, x),
              ),
            ),
          ),
          rows,
        ),
      ),
      why,
    ),
  );
  const query = () => {
    const q = new URLSearchParams();
    for (const f of FILTERS) if (inputs[f].value.trim() !== '') q.set(f, inputs[f].value.trim());
    return q;
  };
  const row = (r) =>
    h(
      'tr',
      { 'data-seq': r.seq, 'data-event': r.event_id },
      h('td', {}, time(r.time)),
      h('td', {}, r.kind),
      h('td', {}, r.server),
      h('td', {}, r.subject),
      h('td', { class: `action-${r.action}` }, r.action),
      h('td', {}, r.rules.map((x) => x.id).join(', ')),
      h(
        'td',
        {},
        h(
          'button',
          {
            type: 'button',
            'aria-label': `Why ${r.action}: ${r.kind} ${r.server}/${r.subject} (#${r.seq})`,
            onclick: () => void explain(r).catch(fail),
          },
          'Why',
        ),
      ),
    );
  async function explain(r) {
    for (const tr of rows.querySelectorAll('tr'))
      tr.classList.toggle('selected', tr.dataset.seq === String(r.seq));
    const { record, why: detail } = await api(`/admin/decisions/${encodeURIComponent(r.event_id)}`);
    const rec = record ?? r;
    why.replaceChildren(
      h('h3', {}, `Why ${rec.action}: ${rec.kind} ${rec.server}/${rec.subject}`),
      h('p', {}, `session ${rec.session}, principal ${rec.principal}, ${rec.latency_ms} ms in the pipeline`),
      h('h4', {}, 'Rules that fired'),
      (detail?.rules ?? rec.rules).length === 0
        ? h('p', {}, 'No rule fired: the default action applied.')
        : table(
            'Rules that fired',
            ['rule', 'action', 'mode', 'message'],
            (detail?.rules ?? rec.rules).map((x) => [x.id, x.action, x.mode, x.message ?? x.error ?? '']),
          ),
      h('h4', {}, 'Signals'),
      !detail
        ? h('p', {}, 'Signals are kept in memory for recent decisions of this process only.')
        : Object.keys(detail.signals).length === 0
          ? h('p', {}, 'No stage computed a signal for this event.')
          : table(
              'Signals',
              ['signal', 'value'],
              Object.entries(detail.signals).map(([k, v]) => [k, String(v)]),
            ),
      detail && detail.findings.length > 0
        ? table(
            'Findings',
            ['slot', 'kind', 'type'],
            detail.findings.map((f) => [f.slot, f.kind, f.type]),
          )
        : '',
      h('h4', {}, 'Timing per stage'),
      detail
        ? table(
            'Timing per stage',
            ['stage', 'ms'],
            detail.timings.map((t) => [t.stage, t.ms.toFixed(3)]),
          )
        : h('p', {}, '–'),
      h('h4', {}, 'Event'),
      json(rec.detail ?? {}),
    );
  }
  let controller;
  async function load() {
    controller?.abort();
    const q = query();
    q.set('limit', '100');
    const { decisions } = await api(`/admin/decisions?${q}`);
    rows.replaceChildren(...decisions.map(row));
    const head = decisions[0]?.seq;
    controller = new AbortController();
    const s = query();
    // From the newest record listed (0: none matched yet), so nothing between the list and the
    // stream is missed.
    s.set('after', String(head ?? 0));
    live.textContent = 'live: on';
    readEvents(
      `/admin/decisions/stream?${s}`,
      (ev) => {
        if (ev.event !== 'decision') return;
        const r = JSON.parse(ev.data);
        if (!rows.querySelector(`tr[data-seq="${r.seq}"]`)) rows.prepend(row(r));
      },
      controller.signal,
    ).then(
      () => (live.textContent = 'live: ended'),
      (err) => {
        if (err.name === 'AbortError') return;
        live.textContent = 'live: off';
        fail(err);
      },
    );
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load().then(() => say('Filtered.'), fail);
  });
  await load();
  return () => controller?.abort();
}
