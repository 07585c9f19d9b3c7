// Routing: the playground (signals and the decision for a prompt, no upstream called) and the counts.
import { api, h, table } from '../api.js';

export async function render(main, { fail }) {
  const prompt = h('textarea', { id: 'playground-prompt', name: 'prompt', rows: 4, required: true });
  const result = h('section', {
    id: 'playground-result',
    'aria-live': 'polite',
    'aria-label': 'Routing decision',
  });
  const stats = h('section', { id: 'routing-stats', 'aria-label': 'Routing statistics' });
  const form = h(
    'form',
    { 'aria-label': 'Routing playground' },
    h('label', { for: 'playground-prompt' }, 'Prompt'),
    prompt,
    h('button', { type: 'submit' }, 'Explain the routing'),
  );
  main.append(h('h2', {}, 'Routing playground'), form, result, h('h2', {}, 'Routing statistics'), stats);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    explain().catch(fail);
  });
  async function explain() {
    const r = await api('/admin/routing/playground', { method: 'POST', body: { prompt: prompt.value } });
    result.replaceChildren(
      h(
        'p',
        { id: 'playground-decision' },
        `Decision: ${r.decision} → ${r.action === 'deny' ? 'deny' : `model ${r.model ?? '(default)'}`}${r.reasoning === undefined ? '' : `, reasoning ${r.reasoning ? 'on' : 'off'}`}`,
      ),
      r.message ? h('p', {}, r.message) : '',
      h('p', {}, `computed in ${r.latency_ms} ms`),
      table(
        'Signals',
        ['signal', 'value'],
        Object.entries(r.signals).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]),
      ),
    );
    await loadStats();
  }
  async function loadStats() {
    const s = await api('/admin/routing/stats');
    const rate = s.cache.hit_rate === null ? '–' : `${(100 * s.cache.hit_rate).toFixed(1)} %`;
    stats.replaceChildren(
      Object.keys(s.requests).length === 0
        ? h('p', {}, 'No request has been routed since start.')
        : table('Requests per model', ['model', 'requests'], Object.entries(s.requests)),
      Object.keys(s.decisions).length === 0
        ? ''
        : table('Requests per decision', ['decision', 'requests'], Object.entries(s.decisions)),
      h('p', {}, `Cache: ${s.cache.hits} hits, ${s.cache.misses} misses (hit rate ${rate}).`),
    );
  }
  await loadStats();
}
