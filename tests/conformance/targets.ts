// The three things the conformance suite is pointed at: the fixture itself, and agentwall fronting the
// fixture as a stdio upstream and as a Streamable HTTP upstream. Each start returns the MCP URL and a
// `close()` that stops every process it started and removes every file it wrote.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startService, type Service } from './processes.js';

export const TARGET_NAMES = ['direct', 'agentwall-stdio', 'agentwall-http'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface Target {
  readonly name: TargetName;
  readonly url: string;
  close(): Promise<void>;
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = join(REPO_ROOT, 'tests/fixtures/conformance-server.ts');
const AGENTWALL_BIN = join(REPO_ROOT, 'bin/agentwall.js');
const AGENTWALL_BUILD = join(REPO_ROOT, 'dist/cli/main.js');

const FIXTURE_READY = /listening on (http:\/\/\S+\/mcp)/;
// agentwall may log pino JSON on stdout: stop the URL at a quote or comma as well as at whitespace.
const AGENTWALL_READY = /agentwall listening on (http:\/\/[^\s"',]+)/;

/** How to run the fixture; also what agentwall is told to spawn for its stdio upstream. */
function fixtureArgs(...modeArgs: string[]): string[] {
  return ['--import', 'tsx', FIXTURE, ...modeArgs];
}

async function startFixtureHttp(): Promise<{ service: Service; url: string }> {
  const service = await startService(process.execPath, fixtureArgs('--http', '--port', '0'), {
    cwd: REPO_ROOT,
    readyPattern: FIXTURE_READY,
  });
  return { service, url: service.ready[1]! };
}

function mcpUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return trimmed.endsWith('/mcp') ? trimmed : `${trimmed}/mcp`;
}

type UpstreamConfig = { command: string; args: string[]; cwd: string } | { url: string };

async function startAgentwall(
  dir: string,
  upstream: UpstreamConfig,
): Promise<{ service: Service; url: string }> {
  if (!existsSync(AGENTWALL_BUILD))
    throw new Error(`agentwall is not built (${AGENTWALL_BUILD}): run npm run build`);
  const configFile = join(dir, 'agentwall.yaml');
  const config = {
    listen: { host: '127.0.0.1', port: 0 },
    servers: { fixture: { ...upstream, trust: 'trusted' } },
  };
  await writeFile(configFile, stringify(config));
  const args = [
    AGENTWALL_BIN,
    'serve',
    '--config',
    configFile,
    '--port',
    '0',
    '--data-dir',
    join(dir, 'data'),
  ];
  const service = await startService(process.execPath, args, {
    cwd: REPO_ROOT,
    readyPattern: AGENTWALL_READY,
  });
  return { service, url: mcpUrl(service.ready[1]!) };
}

/** Stops services in reverse start order, then removes the temp dir; reports the first failure. */
async function teardown(services: readonly Service[], dir: string | undefined): Promise<void> {
  const errors: unknown[] = [];
  for (const service of [...services].reverse())
    await service.stop().catch((err: unknown) => errors.push(err));
  if (dir !== undefined)
    await rm(dir, { recursive: true, force: true }).catch((err: unknown) => errors.push(err));
  if (errors.length > 0) throw new AggregateError(errors, 'conformance target teardown failed');
}

async function startAgentwallTarget(name: TargetName, services: Service[], dir: string): Promise<string> {
  if (name === 'agentwall-stdio') {
    const agentwall = await startAgentwall(dir, {
      command: process.execPath,
      args: fixtureArgs('--stdio'),
      cwd: REPO_ROOT,
    });
    services.push(agentwall.service);
    return agentwall.url;
  }
  const fixture = await startFixtureHttp();
  services.push(fixture.service);
  const agentwall = await startAgentwall(dir, { url: fixture.url });
  services.push(agentwall.service);
  return agentwall.url;
}

export async function startTarget(name: TargetName): Promise<Target> {
  const services: Service[] = [];
  let dir: string | undefined;
  try {
    let url: string;
    if (name === 'direct') {
      const fixture = await startFixtureHttp();
      services.push(fixture.service);
      url = fixture.url;
    } else {
      dir = await mkdtemp(join(tmpdir(), `agentwall-conformance-${name}-`));
      url = await startAgentwallTarget(name, services, dir);
    }
    return { name, url, close: () => teardown(services, dir) };
  } catch (err) {
    await teardown(services, dir).catch(() => undefined);
    throw err;
  }
}
