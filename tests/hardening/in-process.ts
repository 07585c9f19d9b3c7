// agentwall's HTTP front in the test's process, built as `agentwall serve` builds it (runtime, admin
// API, router when configured), with pino writing to a buffer the test reads: the fuzzer sends 100k
// frames to it over loopback without a process hop, and the auth suite inspects every log line.
import { Writable } from 'node:stream';
import pino from 'pino';
import { approvalRoutes } from '../../src/admin/approval-routes.js';
import { createAdminHandler } from '../../src/admin/router.js';
import { loggerOptions } from '../../src/cli/logger.js';
import { startRuntime, type Runtime } from '../../src/cli/runtime.js';
import { resolveConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { startHttpFront, type HttpFront } from '../../src/mcp/http/server.js';
import { REPO_ROOT } from '../helpers/paths.js';
import type { ServerEntry } from '../helpers/servers.js';

export const FAULT_SERVER = `${REPO_ROOT}tests/hardening/fixtures/fault-server.ts`;

/** The fault fixture as a stdio upstream (run with tsx from the repository root). */
export function faultServer(extra: Partial<ServerEntry> = {}): ServerEntry {
  return { command: process.execPath, args: ['--import', 'tsx', FAULT_SERVER], cwd: REPO_ROOT, ...extra };
}

/** No ONNX models: these suites exercise the fronts and the store, and the models cost seconds to load. */
export const NO_MODELS = {
  injection: { enabled: false },
  jailbreak: { enabled: false },
  capability: { enabled: false },
} as const;

export interface InProcess {
  readonly rt: Runtime;
  readonly front: HttpFront;
  readonly url: string;
  /** Every log line so far, as written (JSON text). */
  readonly logText: () => string;
  close(): Promise<void>;
}

export async function startInProcess(options: {
  readonly dir: string;
  readonly config: ConfigInput;
  readonly env?: Record<string, string>;
  readonly adminToken?: string;
}): Promise<InProcess> {
  const config = resolveConfig(
    { listen: { port: 0 }, data_dir: `${options.dir}/data`, ...options.config },
    { source: 'hardening', baseDir: options.dir, env: options.env ?? {} },
  );
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  // The CLI's logger options (redaction included), at debug level so that every line is seen.
  const log = pino(loggerOptions('debug'), sink);
  const rt = await startRuntime(config, { logger: { log, flush: () => undefined } });
  let front: HttpFront;
  try {
    front = await startHttpFront(rt.sessionDeps, {
      ...(options.adminToken === undefined
        ? {}
        : {
            admin: createAdminHandler({
              routes: approvalRoutes(rt.approvalStore),
              token: options.adminToken,
              maxBodyBytes: config.http.max_body_bytes,
            }),
          }),
      ...(rt.router ? { v1: rt.router.handle.bind(rt.router) } : {}),
    });
  } catch (err) {
    await rt.close();
    throw err;
  }
  return {
    rt,
    front,
    url: front.url,
    logText: () => chunks.join(''),
    async close() {
      await front.close();
      await rt.close();
    },
  };
}
