// The stdio front spoken to line by line, for what an SDK client never sends. Bad lines must get JSON-RPC
// errors (JSON-RPC 2.0 §5.1: -32700 with id null for a parse error, -32600 for an invalid request; the
// HTTP front does both) and must not end the session; a client that closes stdin and signals at once
// must see agentwall exit.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING_ENTRY } from '../helpers/paths.js';
import { startRawStdio, type RawStdio } from '../helpers/raw-stdio.js';
import { commandOf, crashyServer } from '../helpers/servers.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { covers } from './requirements.js';

/** agentwall exits within a second when nothing is wrong; this is the deadline, not the pace. */
const EXIT_DEADLINE_MS = 8_000;
const STOP_GRACE_MS = 2_000;
/** How long the fixture upstream takes to exit once told to (well under the SDK's 2 s before SIGTERM). */
const LINGER_MS = 1_000;

const wrapEverything = (dataDir: string) => [
  'mcp',
  '--data-dir',
  dataDir,
  '--',
  process.execPath,
  EVERYTHING_ENTRY,
  'stdio',
];

describe('stdio front: bad lines', () => {
  let tmp: TempDir;
  let agentwall: RawStdio;

  beforeAll(async () => {
    tmp = await makeTempDir();
    agentwall = startRawStdio(wrapEverything(join(tmp.path, 'data')));
  });

  afterAll(async () => {
    await agentwall?.running.stop(STOP_GRACE_MS);
    await tmp?.remove();
  });

  it('refuses a request before initialize with -32600, then initializes', async () => {
    covers('front.stdio-wrap');
    agentwall.send({ jsonrpc: '2.0', id: 'early', method: 'tools/list' });
    expect((await agentwall.replyTo('early')).error?.code).toBe(-32600);
    const init = await agentwall.initialize();
    expect(init.result?.serverInfo).toMatchObject({ name: 'agentwall' });
  });

  it('keeps serving after a line that is not JSON', async () => {
    covers('stdio.malformed');
    agentwall.send('{"jsonrpc":"2.0","id":1,"method":"tools/list"');
    agentwall.send({ jsonrpc: '2.0', id: 'after-garbage', method: 'tools/list' });
    expect((await agentwall.replyTo('after-garbage')).result).toHaveProperty('tools');
  });

  it('answers a line that is not JSON with a parse error (-32700, id null)', async () => {
    covers('stdio.malformed');
    const from = agentwall.running.stdout.mark();
    agentwall.send('{this is not json');
    agentwall.send({ jsonrpc: '2.0', id: 'after-parse-error', method: 'ping' });
    await agentwall.replyTo('after-parse-error');
    // Lines are answered in order, so the parse error comes before the ping's reply.
    expect(agentwall.errorsSince(from, -32700)).toEqual([expect.objectContaining({ id: null })]);
  });

  it('answers an invalid JSON-RPC request with -32600 and its id', async () => {
    covers('stdio.malformed');
    const from = agentwall.running.stdout.mark();
    agentwall.send({ jsonrpc: '1.0', id: 'bad-version', method: 'tools/list' });
    agentwall.send({ jsonrpc: '2.0', id: 'after-invalid', method: 'ping' });
    await agentwall.replyTo('after-invalid');
    expect(agentwall.errorsSince(from, -32600)).toEqual([expect.objectContaining({ id: 'bad-version' })]);
  });
});

describe('stdio front: shutdown', () => {
  let tmp: TempDir;
  let agentwall: RawStdio | undefined;

  beforeAll(async () => {
    tmp = await makeTempDir();
  });

  afterEach(async () => {
    await agentwall?.running.stop(STOP_GRACE_MS);
    agentwall = undefined;
  });

  afterAll(async () => {
    await tmp?.remove();
  });

  /** agentwall wrapping the crashy fixture, which takes LINGER_MS to exit once its stdin ends. */
  async function started(name: string): Promise<RawStdio> {
    const { command, args } = commandOf(crashyServer());
    const a = startRawStdio([
      'mcp',
      '--data-dir',
      join(tmp.path, name),
      '--',
      command,
      ...args,
      '--linger-ms',
      String(LINGER_MS),
    ]);
    agentwall = a;
    await a.initialize();
    a.send({ jsonrpc: '2.0', id: 'list', method: 'tools/list' });
    await a.replyTo('list');
    return a;
  }

  it('exits with 0 when its client closes stdin', async () => {
    covers('stdio.shutdown');
    const a = await started('stdin-end');
    a.running.child.stdin?.end();
    expect(await a.exit(EXIT_DEADLINE_MS)).toBe(0);
  });

  it('exits with 0 on SIGTERM', async () => {
    covers('stdio.shutdown');
    const a = await started('sigterm');
    a.running.child.kill('SIGTERM');
    expect(await a.exit(EXIT_DEADLINE_MS)).toBe(0);
  });

  // A client that signals and then goes away (its end of the pipe closes) while an upstream is still
  // shutting down: the second close must not stop the first from finishing.
  it('exits with 0 when stdin ends while a SIGTERM shutdown is waiting for an upstream', async () => {
    covers('stdio.shutdown');
    const a = await started('sigterm-then-stdin-end');
    const from = a.running.stderr.mark();
    a.running.child.kill('SIGTERM');
    await a.running.stderr.waitFor((line) => line.includes('crashy: stdin closed'), {
      from,
      what: 'the upstream to be told to stop',
    });
    a.running.child.stdin?.end();
    expect(await a.exit(EXIT_DEADLINE_MS)).toBe(0);
  });
});
