// The data file's disk fills up (issue 9). lmdb-js grows its map by itself, so a small `mapSize` cannot
// simulate it; a file-size limit can: `prlimit --fsize` on the running `agentwall serve` makes every
// write past the limit fail with EFBIG, as a full disk fails with ENOSPC. Tool calls must then fail
// closed with a clear error (AUDIT_UNAVAILABLE: no audit record, no forwarding), agentwall must keep
// running, and once the limit is lifted the next call must work and the audit chain must verify.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditVerify, writeConfig } from '../helpers/agentwall.js';
import { connectHttp, type HttpClient } from '../helpers/clients.js';
import { rawRequest } from '../helpers/raw-http.js';
import { rejectionOf, textOf } from '../helpers/results.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { faultServer, NO_MODELS } from './in-process.js';
import { startServeChild, type ServeChild } from './serve-child.js';

const MAX_CALLS = 200;
const BIG = 'x'.repeat(32 * 1024);

function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let tmp: TempDir;
let aw: ServeChild | undefined;
let client: HttpClient | undefined;

beforeAll(async () => {
  tmp = await makeTempDir('agentwall-disk-full-');
});

afterAll(async () => {
  await client?.close();
  await aw?.running.stop();
  await tmp?.remove();
});

describe.skipIf(!hasPrlimit())('disk full (file-size limit on the data file)', () => {
  it('fails tool calls closed with a clear error, stays up, and recovers when space returns', async () => {
    const dataDir = join(tmp.path, 'data');
    const configFile = await writeConfig(tmp.path, {
      servers: { fault: faultServer() },
      scorers: NO_MODELS,
      policies: { watch: false },
    });
    aw = await startServeChild(configFile, dataDir);
    client = await connectHttp(new URL('/mcp', aw.url));
    const echo = (text: string) => client!.client.callTool({ name: 'echo', arguments: { text } });
    expect(textOf(await echo('before'))).toBe('echo: before');

    const size = statSync(join(dataDir, 'agentwall.mdb')).size;
    const limit = size + 256 * 1024;
    execFileSync('prlimit', ['--pid', String(aw.pid), `--fsize=${limit}:`]);
    let failure: (Error & { code?: unknown; data?: unknown }) | undefined;
    let answered = 0;
    for (let i = 0; i < MAX_CALLS && failure === undefined; i++) {
      const r = await echo(`${i} ${BIG}`).then(
        () => undefined,
        (err: unknown) => err as Error,
      );
      if (r) failure = await rejectionOf(Promise.reject(r));
      else answered += 1;
    }
    console.log(
      `disk full: limit ${limit} bytes (file was ${size}); ${answered} calls answered, then: ${failure?.message}`,
    );
    expect(failure, `no call failed in ${MAX_CALLS} calls of 32 KiB`).toBeDefined();
    // The call whose record did not commit is not acknowledged: its reply is an error.
    expect(failure?.message).toContain('could not write the audit record of this call');
    expect(failure?.data).toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    // Still full: the next call that needs space fails the same way (faults.test.ts checks that a
    // known-failing log stops calls before they are forwarded).
    const refused = await rejectionOf(echo(`while full ${BIG}`));
    expect(refused.data).toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    // Still up: the health check answers, and the failure was logged.
    expect((await rawRequest(aw.url, { method: 'GET', path: '/healthz' })).status).toBe(200);

    execFileSync('prlimit', ['--pid', String(aw.pid), '--fsize=unlimited:']);
    expect(textOf(await echo('after'))).toBe('echo: after');
    await client.close();
    client = undefined;
    expect(await aw.running.stop()).toBe(0);
    aw = undefined;
    const verify = await auditVerify(dataDir);
    expect(verify.isOk, verify.stderr).toBe(true);
  });
});
