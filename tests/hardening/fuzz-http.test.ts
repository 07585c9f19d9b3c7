// Protocol fuzzing of the Streamable HTTP front (issue 9): 100k generated and mutated frames (wrong types,
// huge ids, deep nesting, invalid UTF-8, truncated bodies, batches, unknown methods, wrong headers) are
// POSTed to /mcp on one live session, over loopback to agentwall's real HTTP front in this process. Each
// must get a JSON-RPC result or error (a 4xx carrying a JSON-RPC error where the transport refuses it, or
// 202 for an accepted notification/response) — never a 5xx, a non-JSON-RPC body or a crash — and a
// well-formed tool call on the same session must keep working, checked every PROBE_EVERY frames.
//
// FUZZ_FRAMES and FUZZ_SEED override the count and the seed (printed, so a failure can be replayed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { sampleFrames, type Frame } from './frames.js';
import { openFuzzClient, type FuzzClient } from './fuzz-client.js';
import { faultServer, NO_MODELS, startInProcess, type InProcess } from './in-process.js';
import { bump, classifyHttp, formatCounts } from './outcome.js';

const FRAMES = Number(process.env.FUZZ_FRAMES ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
/** Requests pipelined on one keep-alive connection (HTTP/1.1 pipelining, answered in order). */
const IN_FLIGHT = 32;
const PROBE_EVERY = 5_000;
const CHUNK = 10_000;

let tmp: TempDir;
let aw: InProcess;
let client: FuzzClient;

beforeAll(async () => {
  tmp = await makeTempDir('agentwall-fuzz-http-');
  aw = await startInProcess({
    dir: tmp.path,
    config: {
      servers: { fault: faultServer() },
      scorers: NO_MODELS,
      policies: { watch: false, params: { max_calls_per_session: 10_000_000 } },
      http: { max_body_bytes: 1024 * 1024 },
    },
  });
  client = await openFuzzClient(aw.url, { connections: 1, pipelining: IN_FLIGHT });
});

afterAll(async () => {
  await client?.close();
  await aw?.close();
  await tmp?.remove();
});

interface Failure {
  readonly index: number;
  readonly frame: Frame;
  readonly outcome: string;
}

describe('protocol fuzzing: POST /mcp', () => {
  it(`answers ${FRAMES} fuzzed frames with JSON-RPC, and the session keeps working`, async () => {
    const counts = new Map<string, number>();
    const byKind = new Map<string, number>();
    const failures: Failure[] = [];
    let sent = 0;
    let busyMs = 0;
    const started = performance.now();
    for (let base = 0; base < FRAMES; base += CHUNK) {
      // Generated chunk by chunk, so that generation is not timed as sending and memory stays flat.
      const frames = sampleFrames(Math.min(CHUNK, FRAMES - base), SEED + base);
      const t0 = performance.now();
      let next = 0;
      const worker = async () => {
        while (next < frames.length) {
          const i = next++;
          const frame = frames[i] as Frame;
          const r = await client.post(frame.body, frame.headers).then(
            (reply) => classifyHttp(reply.status, reply.contentType, reply.body),
            (err: unknown) => `bad:transport ${String(err)}`,
          );
          bump(counts, r.replace(/^bad:transport.*/, 'bad:transport'));
          bump(byKind, frame.kind);
          if (r.startsWith('bad:')) failures.push({ index: base + i, frame, outcome: r });
          sent += 1;
          if (sent % PROBE_EVERY === 0) {
            const text = `probe ${sent}`;
            expect(await client.echo(text)).toBe(`echo: ${text}`);
          }
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      busyMs += performance.now() - t0;
    }
    const wallS = (performance.now() - started) / 1000;
    console.log(
      `fuzz /mcp: ${sent} frames (seed ${SEED}) in ${(busyMs / 1000).toFixed(1)} s sending ` +
        `(${wallS.toFixed(1)} s with generation): ${Math.round(sent / (busyMs / 1000))} frames/s\n` +
        `outcomes:\n${formatCounts(counts)}\nframes by kind:\n${formatCounts(byKind)}`,
    );
    const shown = failures.slice(0, 5).map((f) => ({
      index: f.index,
      kind: f.frame.kind,
      headers: f.frame.headers,
      outcome: f.outcome,
      body: f.frame.body.subarray(0, 300).toString('latin1'),
    }));
    expect(shown, `${failures.length} frames got no proper answer (seed ${SEED})`).toEqual([]);
    expect(sent).toBe(FRAMES);
    // The same session, after everything: a well-formed call still works, and the process is alive.
    expect(await client.echo('after the fuzz')).toBe('echo: after the fuzz');
    expect(aw.front.sessions.has(client.sessionId)).toBe(true);
    // Nothing a client sent made an audit append fail, and the chain is whole.
    await aw.rt.store.audit.flushed();
    expect(aw.rt.store.audit.failures).toBe(0);
    expect(aw.logText()).not.toContain('audit append failed');
    expect(aw.rt.store.audit.verify()).toMatchObject({ ok: true });
  });
});
