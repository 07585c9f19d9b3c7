// Policy: the bundles and revision in force, reload, and the A/B replay of the audit log.
import { api, h, table } from '../api.js';

export async function render(main, { fail, say }) {
  const current = h('section', { id: 'policy-current', 'aria-label': 'Policy in force' });
  const files = h('input', { id: 'replay-files', name: 'candidate', size: 60, required: true });
  const report = h('section', { id: 'replay-report', 'aria-live': 'polite', 'aria-label': 'Replay report' });
  const form = h(
    'form',
    { class: 'inline', 'aria-label': 'Replay' },
    h(
      'label',
      { for: 'replay-files' },
      'Candidate bundle files (comma-separated, @default for the shipped one)',
      files,
    ),
    h('button', { type: 'submit' }, 'Replay the audit log'),
  );
  main.append(
    h('h2', {}, 'Policy'),
    current,
    h('button', { type: 'button', onclick: () => void reload().catch(fail) }, 'Reload from disk'),
    h('h2', {}, 'Replay (A: in force, B: candidate)'),
    form,
    report,
  );
  async function load() {
    const p = await api('/admin/policies');
    current.replaceChildren(
      h(
        'p',
        { id: 'policy-revision' },
        `Revision ${p.revision}; ${p.rules.length} rules from ${p.files.join(', ')}`,
      ),
      table(
        'Rules',
        ['id', 'on', 'action', 'mode', 'when', 'source'],
        p.rules.map((r) => [r.id, r.on.join(', '), r.action, r.mode, r.when, r.source]),
      ),
    );
  }
  async function reload() {
    const r = await api('/admin/policies/reload', { method: 'POST' });
    say(`Reloaded: revision ${r.revision}${r.changed ? ' (changed)' : ' (unchanged)'}.`);
    await load();
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const candidate = files.value
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
    api('/admin/policies/replay', { method: 'POST', body: { candidate } }).then((r) => {
      const x = r.result;
      report.replaceChildren(
        h(
          'p',
          {},
          `${x.events} tool calls replayed; A reproduces ${x.matchesRecorded}; ${x.changed} decisions change (A ${r.a.revision} → B ${r.b.revision}).`,
        ),
        table('Transitions', ['from → to', 'calls'], Object.entries(x.transitions)),
        table(
          'Changes per rule',
          ['rule', 'changes', 'examples'],
          x.rules.map((c) => [
            c.id,
            c.count,
            c.examples.map((e) => `${e.server}/${e.tool} ${e.from}→${e.to} ${e.args}`).join('\n'),
          ]),
        ),
      );
    }, fail);
  });
  await load();
}
