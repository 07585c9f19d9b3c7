// Pins: every pinned tool definition; a changed one shows its diff and can be approved.
import { api, h, table, time } from '../api.js';

const enc = encodeURIComponent;

export async function render(main, { fail, say }) {
  const list = h('div', { id: 'pin-list' });
  const diff = h('section', { id: 'pin-diff', 'aria-label': 'Diff' });
  main.append(h('h2', {}, 'Pins'), list, diff);
  async function showDiff(p) {
    const d = await api(`/admin/pins/${enc(p.server)}/${enc(p.tool)}/diff`);
    const lines = (d.diff || '(no difference recorded)').split('\n');
    diff.replaceChildren(
      h('h3', {}, `${p.server} / ${p.tool}: ${d.status}`),
      h(
        'pre',
        {},
        lines.map((l) =>
          h(
            'span',
            { class: l.startsWith('+') ? 'diff-add' : l.startsWith('-') ? 'diff-del' : '' },
            `${l}\n`,
          ),
        ),
      ),
      d.status === 'changed'
        ? h(
            'button',
            { type: 'button', onclick: () => void approve(p, p.pending?.hash).catch(fail) },
            `Approve the new definition of ${p.tool}`,
          )
        : '',
    );
  }
  async function approve(p, hash) {
    await api(`/admin/pins/${enc(p.server)}/${enc(p.tool)}/approve`, {
      method: 'POST',
      body: hash ? { hash } : {},
    });
    say(`${p.server} / ${p.tool}: the new definition is pinned.`);
    diff.replaceChildren();
    await load();
  }
  async function load() {
    const { pins } = await api('/admin/pins');
    list.replaceChildren(
      pins.length === 0
        ? h('p', {}, 'No tool is pinned yet.')
        : table(
            'Pins',
            ['server', 'tool', 'status', 'first seen', 'approved', ''],
            pins.map((p) => [
              p.server,
              p.tool,
              p.status,
              time(p.first_seen),
              p.approved_by ?? '',
              h(
                'button',
                { type: 'button', onclick: () => void showDiff(p).catch(fail) },
                `Diff of ${p.tool}`,
              ),
            ]),
          ),
    );
  }
  await load();
}
