// Appends N audit records from a separate process: `node --import tsx append-worker.ts DIR N`.
import { openStore } from '../../src/state/store.js';

const [dir, n] = process.argv.slice(2);
const store = openStore(dir ?? '');
const count = Number(n);
for (let i = 0; i < count; i++) {
  await store.audit.append({
    time: Date.now(),
    event_id: `child-${i}`,
    kind: 'tool_call',
    session: 'child',
    principal: 'child',
    server: 's',
    subject: 't',
    action: 'allow',
    rules: [],
    latency_ms: 0,
  });
}
await store.close();
