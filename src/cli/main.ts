import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { defaultConfig, loadConfigFile, type Config, type ConfigOverrides } from '../config/index.js';
import { ErrorCode, isAgentwallError } from '../core/errors.js';
import { startHttpFront } from '../mcp/http/server.js';
import { startStdioFront } from '../mcp/stdio-front.js';
import { VERSION } from '../mcp/version.js';
import { DATA_FILE, openStore } from '../state/store.js';
import type { MemoryStore } from '../state/memory.js';
import { sessionCompensator } from '../memory/compensate.js';
import { createLogger } from './logger.js';
import { createAdminHandler } from '../admin/router.js';
import { consoleRoutes } from '../admin/console.js';
import { createUiHandler } from '../admin/ui-handler.js';
import { registerApprovalCommands } from './approvals.js';
import { registerPinCommands } from './pins.js';
import { registerMemoryCommands } from './memory.js';
import { registerModelCommands } from './models.js';
import { registerEvalCommands } from './eval.js';
import { registerPolicyCommands } from './policy.js';
import { registerAuditExport, registerReplayCommand } from './replay.js';
import { adminToken, startRuntime } from './runtime.js';
import { serverNameFor } from './server-name.js';

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  stopSignal: () => Promise<string>;
}

const defaultIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  stopSignal: () =>
    new Promise((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    }),
};

interface CommonFlags {
  config?: string;
  dataDir?: string;
}

/** Runs the `agentwall` command line; resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let code = 0;
  const program = new Command('agentwall')
    .description('A governance firewall for AI agents')
    .version(VERSION)
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('serve')
    .description('Start the HTTP front: MCP Streamable HTTP at /mcp, GET /healthz')
    .option('-c, --config <file>', 'configuration file (YAML or JSON); embedded defaults without it')
    .option('--host <host>', 'listen address (overrides listen.host)')
    .option('--port <port>', 'listen port, 0 for any free port (overrides listen.port)', parsePort)
    .option('--data-dir <dir>', 'data directory (overrides data_dir)')
    .action(async (flags: CommonFlags & { host?: string; port?: number }) => {
      code = await serve(flags, io);
    });

  program
    .command('mcp')
    .description('Serve MCP on stdio: wrap one stdio server (-- COMMAND ARGS…) or the configured servers')
    .option('-c, --config <file>', 'configuration file (YAML or JSON)')
    .option('--data-dir <dir>', 'data directory (overrides data_dir)')
    .argument('[command...]', 'the stdio MCP server to wrap, after --')
    .passThroughOptions()
    .action(async (command: string[], flags: CommonFlags) => {
      code = await stdio(command, flags, io);
    });

  program
    .command('check-config')
    .description('Validate a configuration file and print every error with its path')
    .argument('<file>')
    .action(async (file: string) => {
      try {
        const config = await loadConfigFile(file);
        io.out(`${file}: ok (${Object.keys(config.servers).length} servers, data_dir ${config.data_dir})`);
      } catch (err) {
        io.err(describe(err));
        code = 1;
      }
    });

  const audit = program.command('audit').description('Inspect the audit log');
  audit
    .command('verify')
    .description('Recompute the hash chain of the audit log and report the first broken record')
    .option('-c, --config <file>', 'configuration file (for data_dir)')
    .option('--data-dir <dir>', 'data directory')
    .action(async (flags: CommonFlags) => {
      const config = await configFrom(flags);
      const store = openStore(config.data_dir);
      try {
        const r = store.audit.verify();
        if (r.ok) io.out(`audit log ok: ${r.count} records, head ${r.head} (${store.path})`);
        else
          io.err(
            `agentwall: ${ErrorCode.AUDIT_CHAIN_BROKEN}: audit log BROKEN at record ${r.seq}: ${r.reason} (${r.count} records verified before it)`,
          );
        code = r.ok ? 0 : 1;
      } finally {
        await store.close();
      }
    });

  const storeCommands = {
    io,
    openStore: async (flags: CommonFlags) => openStore((await configFrom(flags)).data_dir),
    exit: (c: number) => {
      code = c;
    },
  };
  registerApprovalCommands(program, storeCommands);
  registerPinCommands(program, storeCommands);
  registerMemoryCommands(program, {
    ...storeCommands,
    async compensator(flags: CommonFlags, memory: MemoryStore) {
      const config = await configFrom(flags);
      const log = createLogger(config.log.level).log;
      const shield = [join(config.data_dir, DATA_FILE)];
      return sessionCompensator({ store: memory, servers: config.servers, shield, log });
    },
  });
  const tooling = { out: io.out, err: io.err, loadConfig: configFrom, exit: (c: number) => void (code = c) };
  registerPolicyCommands(program, tooling);
  registerReplayCommand(program, tooling);
  registerAuditExport(audit, tooling);
  registerModelCommands(program, { io, exit: (c: number) => void (code = c) });
  registerEvalCommands(program, { io, exit: (c: number) => void (code = c) });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    io.err(describe(err));
    return 1;
  }
  return code;
}

async function serve(flags: CommonFlags & { host?: string; port?: number }, io: Io): Promise<number> {
  const config = await configFrom(flags, { host: flags.host, port: flags.port });
  const rt = await startRuntime(config);
  const admin = adminToken(config);
  const front = await startHttpFront(rt.sessionDeps, {
    admin: createAdminHandler({
      routes: consoleRoutes(rt),
      token: admin.token,
      maxBodyBytes: config.http.max_body_bytes,
    }),
    ui: createUiHandler(),
    metrics: { render: () => rt.metrics.render(), token: admin.token },
    ...(rt.router ? { v1: rt.router.handle.bind(rt.router) } : {}),
  });
  io.out(`agentwall listening on ${front.url} (MCP endpoint ${front.url}/mcp)`);
  if (rt.router) io.out(`LLM router: ${front.url}/v1 (OpenAI-compatible, docs/routing.md)`);
  io.out(`data file: ${rt.store.path}`);
  io.out(`configuration: ${config.source}; servers: ${Object.keys(config.servers).join(', ') || '(none)'}`);
  io.out(
    `policy: revision ${rt.policy.current().revision}, ${rt.policy.current().rules.length} rules (${rt.policy.files.join(', ')})`,
  );
  io.out(
    `admin API: ${front.url}/admin (token ${admin.file ? `in ${admin.file}` : `from $${config.admin.token_env}`})`,
  );
  io.out(`console: ${front.url}/ui/ (asks for the admin token)`);
  io.out(`metrics: ${front.url}/metrics (Prometheus; admin token)`);
  rt.log.info({ url: front.url, data: rt.store.path, config: config.source }, 'agentwall started');
  const signal = await io.stopSignal();
  rt.log.info({ signal }, 'stopping');
  await front.close();
  await rt.close();
  return 0;
}

async function stdio(command: readonly string[], flags: CommonFlags, io: Io): Promise<number> {
  const [cmd, ...args] = command;
  if (cmd === undefined && flags.config === undefined) {
    io.err('agentwall mcp: give a server to wrap (agentwall mcp -- COMMAND ARGS…) or --config FILE');
    return 2;
  }
  const servers = cmd === undefined ? undefined : { [serverNameFor(command)]: { command: cmd, args } };
  const config = await configFrom(flags, { servers });
  const rt = await startRuntime(config);
  const principal = { id: `local:${userInfo().username}`, roles: [], claims: {} };
  const front = await startStdioFront(rt.sessionDeps, principal);
  rt.log.info({ data: rt.store.path, servers: Object.keys(config.servers) }, 'agentwall mcp started');
  await Promise.race([front.closed, io.stopSignal()]);
  await front.close();
  await rt.close();
  return 0;
}

async function configFrom(flags: CommonFlags, extra: Omit<ConfigOverrides, 'dataDir'> = {}): Promise<Config> {
  const overrides: ConfigOverrides = {
    ...extra,
    ...(flags.dataDir === undefined ? {} : { dataDir: resolve(flags.dataDir) }),
  };
  return flags.config === undefined
    ? defaultConfig({ overrides })
    : loadConfigFile(flags.config, { overrides });
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be an integer 0–65535');
  return n;
}

function describe(err: unknown): string {
  if (isAgentwallError(err)) return `agentwall: ${err.code}: ${err.message}`;
  return `agentwall: ${err instanceof Error ? err.message : String(err)}`;
}
