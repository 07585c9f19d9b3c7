// What a stdio upstream inherits from agentwall: its stdio, the SDK's default environment and its own
// configured `env` — not agentwall's other environment variables (bearer tokens live there) and not
// agentwall's open files (the LMDB data file holds the audit log, approvals and tool pins; a server
// that holds it open read-write can read every call's arguments and rewrite approvals).
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type AgentwallServe } from '../helpers/agentwall.js';
import { connectHttp, type HttpClient } from '../helpers/clients.js';
import { textOf } from '../helpers/results.js';
import { crashyServer } from '../helpers/servers.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { covers } from './requirements.js';

const SECRET_ENV = 'E2E_AGENTWALL_ONLY_SECRET';
const TOKEN_ENV = 'E2E_ISOLATION_TOKEN';

describe('what a stdio upstream inherits', () => {
  let tmp: TempDir;
  let serve: AgentwallServe;
  let session: HttpClient;

  beforeAll(async () => {
    tmp = await makeTempDir();
    serve = await startServe({
      dir: tmp.path,
      config: {
        servers: { crashy: { ...crashyServer(), env: { E2E_CONFIGURED: 'yes' } } },
        auth: { tokens: [{ token_env: TOKEN_ENV, principal: 'alice' }] },
      },
      env: { [SECRET_ENV]: 'not for upstreams', [TOKEN_ENV]: 'isolation-token-0123456789' },
    });
    session = await connectHttp(serve.mcpUrl, {
      headers: { authorization: 'Bearer isolation-token-0123456789' },
    });
  });

  afterAll(async () => {
    await session?.close();
    await serve?.stop();
    await tmp?.remove();
  });

  it("gets its configured environment, and none of agentwall's own variables", async () => {
    covers('upstream.isolation');
    const names = JSON.parse(
      textOf(await session.client.callTool({ name: 'env', arguments: {} })),
    ) as string[];
    expect(names).toContain('E2E_CONFIGURED');
    expect(names).toContain('PATH');
    expect(names).not.toContain(SECRET_ENV);
    expect(names).not.toContain(TOKEN_ENV);
  });

  it.skipIf(!existsSync('/proc/self/fd'))(
    "holds none of agentwall's files open (the LMDB data file)",
    async () => {
      covers('upstream.isolation');
      const files = JSON.parse(
        textOf(await session.client.callTool({ name: 'fds', arguments: {} })),
      ) as string[];
      expect(files.length).toBeGreaterThan(0);
      expect(files.filter((f) => f.startsWith(serve.dataDir))).toEqual([]);
    },
  );
});
