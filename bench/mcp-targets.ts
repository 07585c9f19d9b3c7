import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { closeSync, existsSync, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Cleanup } from './lib/cleanup.js';
import { errorMessage } from './lib/errors.js';
import { LISTEN_ANNOUNCEMENT, LISTEN_ANNOUNCER_IMPORT } from './lib/listen-announcer.js';
import { packageBin, repoRoot } from './lib/paths.js';
import { closeProcessTree, readTail, startService } from './lib/proc.js';

export interface TargetContext {
  /** A fresh temporary directory for data dirs, config and logs; removed after the run. */
  readonly workDir: string;
  readonly cleanup: Cleanup;
}

/** One way of reaching server-everything's `echo` tool with the SDK client. */
export interface Target {
  readonly name: string;
  /** Why this target cannot run here, if it cannot. */
  unavailable(): string | undefined;
  /** The command line that serves the client; files it names live in `workDir`. */
  command(workDir: string): string[];
  connect(context: TargetContext, command: readonly string[]): Promise<Client>;
}

const CONNECT_TIMEOUT_MS = 30_000;

// Every process runs on the node running the benchmark: `npm run` puts node_modules/.bin first on
// PATH, which may hold another node, and the comparison must not mix two.
const node = process.execPath;
const everything = [packageBin('@modelcontextprotocol/server-everything'), 'stdio'];
const mcpProxy = packageBin('mcp-proxy', 'mcp-proxy');
const agentwall = path.join(repoRoot, 'bin', 'agentwall.js');
const agentwallMain = path.join(repoRoot, 'dist', 'cli', 'main.js');

const isAvailable = (): undefined => undefined;
const agentwallUnavailable = (): string | undefined =>
  existsSync(agentwallMain)
    ? undefined
    : `${path.relative(repoRoot, agentwallMain)} is missing: run npm run build`;

export const targets: readonly Target[] = [
  {
    name: 'direct-stdio',
    unavailable: isAvailable,
    command: () => [node, ...everything],
    connect: (context, command) => connectStdio('direct-stdio', command, context),
  },
  {
    name: 'agentwall-stdio',
    unavailable: agentwallUnavailable,
    command: (workDir) => [
      ...[node, agentwall, 'mcp', '--config', agentwallConfigFile(workDir)],
      ...['--data-dir', path.join(workDir, 'agentwall-stdio-data')],
    ],
    connect: async (context, command) => {
      await writeAgentwallConfig(context.workDir);
      return connectStdio('agentwall-stdio', command, context);
    },
  },
  {
    name: 'agentwall-http',
    unavailable: agentwallUnavailable,
    command: (workDir) => [
      ...[node, agentwall, 'serve', '--config', agentwallConfigFile(workDir), '--port', '0'],
      ...['--data-dir', path.join(workDir, 'agentwall-http-data')],
    ],
    connect: connectAgentwallHttp,
  },
  {
    name: 'mcp-proxy-http',
    unavailable: isAvailable,
    // mcp-proxy's defaults otherwise (event store on, stateful sessions): what a user of it gets.
    command: () => [
      ...[node, '--import', LISTEN_ANNOUNCER_IMPORT, mcpProxy],
      ...['--host', '127.0.0.1', '--port', '0', '--server', 'stream', '--', node, ...everything],
    ],
    connect: connectMcpProxyHttp,
  },
];

const agentwallConfigFile = (workDir: string): string => path.join(workDir, 'agentwall.yaml');

/**
 * One stdio server, so agentwall does not prefix tool names and the tool is still `echo`. The shipped
 * default policy, pins and audit are all on (what a user gets); only the per-session call budget is
 * raised, since a benchmark session makes more calls than the default allows.
 */
async function writeAgentwallConfig(workDir: string): Promise<void> {
  await writeFile(
    agentwallConfigFile(workDir),
    stringify({
      listen: { host: '127.0.0.1', port: 0 },
      servers: { everything: { command: node, args: everything, trust: 'trusted' } },
      policies: { params: { max_calls_per_session: 1_000_000 } },
    }),
  );
}

async function connectAgentwallHttp(context: TargetContext, command: readonly string[]): Promise<Client> {
  await writeAgentwallConfig(context.workDir);
  const service = startService({
    name: 'agentwall serve',
    command,
    // Host and port only: the line may be plain text or inside a JSON log record.
    ready: /agentwall listening on (http:\/\/[\w.:[\]-]+)/,
    stderrFile: path.join(context.workDir, 'agentwall-http.stderr.log'),
  });
  context.cleanup.defer('stop agentwall serve', async () =>
    warnLeftovers('agentwall serve', await service.stop()),
  );
  const [, url] = await service.ready;
  return connectHttp('agentwall-http', new URL('/mcp', url), context);
}

async function connectMcpProxyHttp(context: TargetContext, command: readonly string[]): Promise<Client> {
  const service = startService({
    name: 'mcp-proxy',
    command,
    ready: LISTEN_ANNOUNCEMENT,
    stderrFile: path.join(context.workDir, 'mcp-proxy-http.stderr.log'),
  });
  context.cleanup.defer('stop mcp-proxy', async () => warnLeftovers('mcp-proxy', await service.stop()));
  const [, port] = await service.ready;
  return connectHttp('mcp-proxy-http', new URL(`http://127.0.0.1:${port}/mcp`), context);
}

async function connectStdio(
  name: string,
  [command, ...args]: readonly string[],
  context: TargetContext,
): Promise<Client> {
  const stderrFile = path.join(context.workDir, `${name}.stderr.log`);
  const stderrFd = openSync(stderrFile, 'a');
  const transport = new StdioClientTransport({ command: command!, args, stderr: stderrFd });
  const client = newClient();
  // Closing the client ends the child's stdin, then signals it; whatever it started and left is killed.
  context.cleanup.defer(`close ${name}`, async () =>
    warnLeftovers(name, await closeProcessTree(transport.pid, () => client.close())),
  );
  try {
    await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS });
  } catch (err) {
    throw new Error(`${name}: ${errorMessage(err)}\nstderr tail:\n${readTail(stderrFile)}`, { cause: err });
  } finally {
    closeSync(stderrFd);
  }
  return client;
}

async function connectHttp(name: string, url: URL, context: TargetContext): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(url);
  const client = newClient();
  context.cleanup.defer(`close ${name}`, async () => {
    // DELETE ends the session on the server (MCP 2025-06-18, Transports § Session Management).
    await transport.terminateSession().catch(() => undefined);
    await client.close();
  });
  try {
    await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS });
  } catch (err) {
    throw new Error(`${name}: connecting to ${url.href}: ${errorMessage(err)}`, { cause: err });
  }
  return client;
}

/** A process that exits before its children is worth knowing about: a user would be left with them. */
function warnLeftovers(name: string, count: number): void {
  if (count > 0)
    console.warn(`bench: ${name} left ${count} process(es) running after it stopped; killed them`);
}

function newClient(): Client {
  return new Client({ name: 'agentwall-bench', version: '0.0.0' });
}
