// One agentwall, one configuration, one connected SDK client — over either front. Tests written against
// `Front` run unchanged over stdio (`agentwall mcp --config`) and Streamable HTTP (`agentwall serve`).
import { join } from 'node:path';
import type { ConfigInput } from '../../src/config/schema.js';
import { startServe, writeConfig, type AgentwallServe } from './agentwall.js';
import { connectHttp, connectStdio, type ClientHooks, type ConnectedClient } from './clients.js';
import type { EventLog } from './event-log.js';

export const FRONT_KINDS = ['stdio', 'http'] as const;
export type FrontKind = (typeof FRONT_KINDS)[number];

export interface Front extends ConnectedClient {
  readonly kind: FrontKind;
  readonly dataDir: string;
  /** agentwall's stderr (pino JSON lines; upstream stderr is logged there as `upstream_stderr`). */
  readonly stderr: EventLog<string>;
  /** The HTTP front's process, for raw requests and more sessions; undefined over stdio. */
  readonly serve: AgentwallServe | undefined;
  /** Closes the client and stops agentwall; the audit log is flushed once this resolves. */
  close(): Promise<void>;
}

export interface FrontOptions {
  readonly config: ConfigInput;
  /** Holds the configuration file; the data dir defaults to `<dir>/data`. */
  readonly dir: string;
  readonly dataDir?: string;
  readonly hooks?: ClientHooks;
}

export async function openFront(kind: FrontKind, options: FrontOptions): Promise<Front> {
  const dataDir = options.dataDir ?? join(options.dir, 'data');
  if (kind === 'stdio') {
    const configFile = await writeConfig(options.dir, options.config);
    const c = await connectStdio(['mcp', '--config', configFile, '--data-dir', dataDir], {
      hooks: options.hooks ?? {},
    });
    return { ...c, kind, dataDir, serve: undefined };
  }
  const serve = await startServe({ config: options.config, dir: options.dir, dataDir });
  try {
    const c = await connectHttp(serve.mcpUrl, { hooks: options.hooks ?? {} });
    return {
      ...c,
      kind,
      dataDir,
      stderr: serve.stderr,
      serve,
      async close() {
        try {
          await c.close();
        } finally {
          await serve.stop();
        }
      },
    };
  } catch (err) {
    await serve.stop();
    throw err;
  }
}
