// Approvals: the pending queue with Approve / Deny per held call (with an optional reason), and what
// was decided recently.
import { api, h, json, table, time } from '../api.js';

export async function render(main, { fail, say }) {
  const queue = h('div', { id: 'approval-queue' });
  const decided = h('div', { id: 'approval-decided' });
  const reason = h('input', { id: 'approval-reason', name: 'reason' });
  main.append(
    h('h2', {}, 'Approvals'),
    h('p', {}, h('label', { for: 'approval-reason' }, 'Reason for the next decision (optional) '), reason),
    h('h3', {}, 'Pending'),
    queue,
    h('button', { type: 'button', onclick: () => void load().catch(fail) }, 'Refresh'),
    h('h3', {}, 'Decided'),
    decided,
  );
  async function decide(record, decision) {
    const body = reason.value.trim() === '' ? undefined : { reason: reason.value.trim() };
    const r = await api(`/admin/approvals/${encodeURIComponent(record.id)}/${decision}`, {
      method: 'POST',
      body,
    });
    reason.value = '';
    say(`${r.approval.tool} on ${r.approval.server}: ${r.approval.status}.`);
    await load();
  }
  async function load() {
    const { approvals } = await api('/admin/approvals');
    const pending = approvals.filter((a) => a.status === 'pending');
    queue.replaceChildren(
      pending.length === 0
        ? h('p', {}, 'Nothing waits for a decision.')
        : table(
            'Pending approvals',
            ['held since', 'server / tool', 'principal', 'rules', 'arguments', 'decide'],
            pending.map((a) => ({
              attrs: { 'data-approval': a.id },
              cells: [
                time(a.created_at),
                `${a.server} / ${a.tool}`,
                a.principal,
                `${a.rules.join(', ')}: ${a.message}`,
                json(a.args),
                h(
                  'span',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      'aria-label': `Approve ${a.tool}`,
                      onclick: () => void decide(a, 'approve').catch(fail),
                    },
                    'Approve',
                  ),
                  ' ',
                  h(
                    'button',
                    {
                      type: 'button',
                      'aria-label': `Deny ${a.tool}`,
                      onclick: () => void decide(a, 'deny').catch(fail),
                    },
                    'Deny',
                  ),
                ),
              ],
            })),
          ),
    );
    const done = approvals
      .filter((a) => a.status !== 'pending')
      .slice(-20)
      .reverse();
    decided.replaceChildren(
      done.length === 0
        ? h('p', {}, 'Nothing decided yet.')
        : table(
            'Decided approvals',
            ['decided', 'server / tool', 'status', 'by', 'reason'],
            done.map((a) => [
              time(a.decided_at),
              `${a.server} / ${a.tool}`,
              a.status,
              a.decided_by ?? '',
              a.reason ?? '',
            ]),
          ),
    );
  }
  await load();
  // New held calls appear without a click: the queue is read again every few seconds.
  const timer = setInterval(() => void load().catch(fail), 3000);
  return () => clearInterval(timer);
}
