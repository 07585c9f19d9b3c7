// Memory: namespaces → items → history → the lineage (provenance graph) of one version, and revoking
// that lineage: a dry run first shows what would be revoked, then a person confirms.
import { api, h, table, time } from '../api.js';

const enc = encodeURIComponent;

export async function render(main, { fail, say }) {
  const spaces = h('section', { id: 'mem-namespaces', 'aria-label': 'Namespaces' });
  const items = h('section', { id: 'mem-items', 'aria-label': 'Items' });
  const history = h('section', { id: 'mem-history', 'aria-label': 'History' });
  const lineage = h('section', { id: 'mem-lineage', 'aria-label': 'Lineage' });
  const revocations = h('section', { id: 'mem-revocations', 'aria-label': 'Revocations' });
  main.append(h('h2', {}, 'Memory'), spaces, items, history, lineage, revocations);
  const run = (fn) => () => void fn().catch(fail);

  async function showItems(ns) {
    const r = await api(`/admin/memory/namespaces/${enc(ns)}/items`);
    history.replaceChildren();
    lineage.replaceChildren();
    items.replaceChildren(
      h('h3', {}, `Items of ${ns}`),
      table(
        'Items',
        ['key', 'value', 'version', 'status', ''],
        r.items.map((v) => [
          v.key,
          JSON.stringify(v.value),
          `#${v.id} (seq ${v.seq})`,
          v.status,
          h('button', { type: 'button', onclick: run(() => showHistory(ns, v.key)) }, `History of ${v.key}`),
        ]),
      ),
    );
  }
  async function showHistory(ns, key) {
    const r = await api(`/admin/memory/namespaces/${enc(ns)}/items/${enc(key)}/history`);
    lineage.replaceChildren();
    history.replaceChildren(
      h('h3', {}, `History of ${ns}/${key}`),
      table(
        'History',
        ['version', 'seq', 'time', 'status', 'value', 'labels', ''],
        r.versions.map((v) => [
          `#${v.id}`,
          v.seq,
          time(v.time),
          v.status,
          v.tombstone ? '(deleted)' : JSON.stringify(v.value),
          (v.labels ?? []).join(', '),
          h('button', { type: 'button', onclick: run(() => showLineage(v.id)) }, `Lineage of #${v.id}`),
        ]),
      ),
    );
  }
  async function showLineage(id) {
    const g = await api(`/admin/memory/versions/${id}/provenance`);
    const up = new Set();
    const down = new Set();
    const walk = (from, set, next) => {
      for (const e of g.edges) {
        const [a, b] = next(e);
        if (a === from && !set.has(b)) {
          set.add(b);
          walk(b, set, next);
        }
      }
    };
    walk(id, up, (e) => [e.to, e.from]);
    walk(id, down, (e) => [e.from, e.to]);
    const relation = (n) =>
      n.id === id
        ? 'this version'
        : up.has(n.id)
          ? 'derived from (ancestor)'
          : down.has(n.id)
            ? 'derived from it (descendant)'
            : 'related';
    const preview = h('div', { id: 'revoke-preview', 'aria-live': 'polite' });
    lineage.replaceChildren(
      h('h3', {}, `Lineage of version #${id}`),
      table(
        'Lineage',
        ['version', 'item', 'relation', 'status', 'principal', 'session', 'sources'],
        g.nodes.map((n) => [
          `#${n.id}`,
          n.label,
          relation(n),
          n.status,
          n.principal,
          n.session,
          n.sources.map((s) => `${s.server}/${s.subject}`).join(', '),
        ]),
      ),
      h('p', {}, `${g.edges.length} derivation edges${g.truncated ? ' (truncated)' : ''}.`),
      h(
        'button',
        { type: 'button', id: 'revoke-dry-run', onclick: run(() => dryRun(id, preview)) },
        `Revoke lineage of #${id}…`,
      ),
      preview,
    );
  }
  async function dryRun(id, preview) {
    const plan = await api('/admin/memory/revoke', {
      method: 'POST',
      body: { ids: [id], cascade: true, dry_run: true },
    });
    const reason = h('input', { id: 'revoke-reason', name: 'reason' });
    preview.replaceChildren(
      h(
        'div',
        { class: 'preview' },
        h(
          'p',
          { id: 'revoke-count' },
          `Dry run: this would revoke ${plan.versions.length} version${plan.versions.length === 1 ? '' : 's'} (${plan.changed.length} change status) and ${plan.external.length} external write${plan.external.length === 1 ? '' : 's'}.`,
        ),
        h('p', {}, `Versions: ${plan.versions.map((v) => `#${v}`).join(', ')}`),
        h('label', { for: 'revoke-reason' }, 'Reason '),
        reason,
        ' ',
        h(
          'button',
          { type: 'button', id: 'revoke-confirm', onclick: run(() => confirm(id, reason.value, preview)) },
          `Confirm: revoke ${plan.versions.length}`,
        ),
        ' ',
        h('button', { type: 'button', onclick: () => preview.replaceChildren() }, 'Cancel'),
      ),
    );
    document.getElementById('revoke-confirm').focus();
  }
  async function confirm(id, reason, preview) {
    const r = await api('/admin/memory/revoke', {
      method: 'POST',
      body: { ids: [id], cascade: true, ...(reason.trim() ? { reason: reason.trim() } : {}) },
    });
    preview.replaceChildren(
      h(
        'p',
        { id: 'revoke-done' },
        `Revoked: revocation ${r.revocation.id} holds ${r.versions.length} versions (${r.changed.length} changed status).`,
      ),
    );
    say(
      `Revocation ${r.revocation.id} applied; undo it with POST /admin/memory/restore { "revocation": ${r.revocation.id} }.`,
    );
    await loadRevocations();
  }
  async function loadRevocations() {
    const r = await api('/admin/memory/revocations');
    revocations.replaceChildren(
      h('h3', {}, 'Revocations'),
      table(
        'Revocations',
        ['id', 'action', 'by', 'reason', 'versions', 'time', 'restored'],
        r.revocations.map((x) => [
          x.id,
          x.action,
          x.by,
          x.reason,
          x.versions.join(', '),
          time(x.time),
          x.restored ? `by ${x.restored.by}` : '',
        ]),
      ),
    );
  }
  const r = await api('/admin/memory/namespaces');
  spaces.replaceChildren(
    h('h3', {}, 'Namespaces'),
    r.namespaces.length === 0
      ? h('p', {}, 'No memory written yet.')
      : table(
          'Namespaces',
          ['namespace', 'versions', 'last write', ''],
          r.namespaces.map((n) => [
            n.namespace,
            n.versions,
            time(n.last_write),
            h(
              'button',
              { type: 'button', onclick: run(() => showItems(n.namespace)) },
              `Open ${n.namespace}`,
            ),
          ]),
        ),
  );
  await loadRevocations();
}
