// Writes memory versions from a separate process, printing `ack <id> <key> <seq>` once each write has
// resolved (committed and flushed):
//   node --import tsx memory-worker.ts DIR load TAG       writes until killed, 64 writes in flight
//   node --import tsx memory-worker.ts DIR count TAG N    prints `ready`, waits for a line on stdin, then
//                                                         writes N (8 in flight), closes and exits
import { MemoryStore } from '../../src/state/memory.js';
import { openStore } from '../../src/state/store.js';

const [dir = '', mode = 'count', tag = 'w', n = '0'] = process.argv.slice(2);
const store = openStore(dir);
const memory = new MemoryStore(store.root);
const total = mode === 'load' ? Number.POSITIVE_INFINITY : Number(n);
const inFlight = mode === 'load' ? 64 : 8;

if (mode !== 'load') {
  // Two writers start together: each says it is ready and waits for the test's go.
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
}

let next = 0;
async function lane(): Promise<void> {
  while (next < total) {
    const i = next++;
    const v = await memory.write({
      namespace: 'shared',
      key: `${tag}-${i % 50}`,
      value: `${tag} write ${i}`,
      principal: tag,
      session: `${tag}-session`,
      derived_from: i > 0 ? [{ type: 'memory', id: 1 }] : [],
    });
    process.stdout.write(`ack ${v.id} ${v.key} ${v.seq} ${String(v.value)}\n`);
  }
}
await Promise.all(Array.from({ length: inFlight }, lane));
await store.close();
