// Protocol fuzzing of the stdio front (issue 9): a spawned `agentwall mcp --config FILE` gets the same
// generated and mutated frames as the HTTP fuzzer, one per line (a frame with a newline byte in it is
// several lines, as it would be on a real pipe). Every line agentwall writes must be a JSON-RPC message,
// every well-formed request among the frames must be answered, a well-formed tool call must keep working
// (probed every PROBE_EVERY frames), and the process must still be running at the end and exit cleanly,
// leaving an audit log that verifies.
//
// FUZZ_STDIO_FRAMES and FUZZ_SEED override the count and the seed (printed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditVerify, writeConfig } from '../helpers/agentwall.js';
import { parseLine, startRawStdio, type RawStdio } from '../helpers/raw-stdio.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { sampleFrames } from './frames.js';
import { faultServer, NO_MODELS } from './in-process.js';
import { bump, classifyMessage, formatCounts } from './outcome.js';

const FRAMES = Number(process.env.FUZZ_STDIO_FRAMES ?? 20_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const PROBE_EVERY = 1_000;

let tmp: TempDir;
let aw: RawStdio;
let dataDir: string;

beforeAll(async () => {
  tmp = await makeTempDir('agentwall-fuzz-stdio-');
  dataDir = `${tmp.path}/data`;
  const file = await writeConfig(tmp.path, {
    servers: { fault: faultServer() },
    scorers: NO_MODELS,
    policies: { watch: false, params: { max_calls_per_session: 10_000_000 } },
  });
  aw = startRawStdio(['mcp', '--config', file, '--data-dir', dataDir]);
  await aw.initialize();
});

afterAll(async () => {
  await aw?.running.stop();
  await tmp?.remove();
});

/**
 * The id of a frame that is one JSON object with a string method and a string or numeric id: whatever
 * else is wrong with it, JSON-RPC 2.0 §5 wants a reply carrying that id (a result or an error).
 */
function requestId(body: Buffer): string | number | undefined {
  if (body.includes(10)) return undefined;
  try {
    const m = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return undefined;
    const { id, method } = m as { id?: unknown; method?: unknown };
    const isId = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
    return isId && typeof method === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

async function probe(label: string): Promise<void> {
  const id = `probe-${label}`;
  aw.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: id } } });
  const reply = await aw.replyTo(id);
  expect((reply.result?.content as { text?: string }[] | undefined)?.[0]?.text).toBe(`echo: ${id}`);
}

describe('protocol fuzzing: the stdio front', () => {
  it(`answers ${FRAMES} fuzzed lines with JSON-RPC, and the session keeps working`, async () => {
    const frames = sampleFrames(FRAMES, SEED);
    const from = aw.running.stdout.mark();
    // An id used by several frames cannot tell whose reply arrived: only ids used once are tracked.
    const uses = new Map<string | number, number>();
    for (const f of frames) {
      const id = requestId(f.body);
      if (id !== undefined) uses.set(id, (uses.get(id) ?? 0) + 1);
    }
    const tracked = [...uses].filter(([, n]) => n === 1).map(([id]) => id);
    const started = performance.now();
    for (const [i, frame] of frames.entries()) {
      aw.running.child.stdin?.write(Buffer.concat([frame.body, Buffer.from('\n')]));
      if ((i + 1) % PROBE_EVERY === 0) await probe(String(i + 1));
    }
    await probe('end');
    const seconds = (performance.now() - started) / 1000;
    const replies = aw.running.stdout.since(from);
    const counts = new Map<string, number>();
    for (const line of replies) bump(counts, classifyMessage(parseLine(line)));
    console.log(
      `fuzz stdio: ${frames.length} frames (seed ${SEED}) in ${seconds.toFixed(1)} s: ` +
        `${Math.round(frames.length / seconds)} frames/s, ${replies.length} lines back; ` +
        `${tracked.length} requests tracked\noutcomes:\n${formatCounts(counts)}`,
    );
    expect([...counts.keys()].filter((k) => k.startsWith('bad:'))).toEqual([]);
    const answered = new Set(replies.map((l) => parseLine(l)?.id));
    const unanswered = tracked.filter((id) => !answered.has(id));
    expect(unanswered.slice(0, 10), `${unanswered.length} requests got no reply`).toEqual([]);
    expect(await aw.exit(0)).toBe('running');
    // A clean end: stdin closes, agentwall exits 0 and its audit log verifies.
    aw.running.child.stdin?.end();
    expect(await aw.exit(30_000)).toBe(0);
    const audit = await auditVerify(dataDir);
    expect(audit.isOk, audit.stderr).toBe(true);
  });
});
