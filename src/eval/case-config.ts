import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import { parseConfigText, resolveConfig, type Config } from '../config/index.js';
import { resolveBundlePaths } from '../policy/paths.js';

/** The one upstream of every case: the scripted server. */
export const CASE_SERVER = 'case';

/** The configuration every case starts from: the user's file (or the embedded defaults). */
export interface BaseConfig {
  /** As written, with relative policy paths made absolute (the per-case file lives elsewhere). */
  readonly raw: Readonly<Record<string, unknown>>;
  /** Validated, for what the harness needs to know (tool naming). */
  readonly config: Config;
}

export interface CaseServer {
  readonly command: string;
  readonly args: readonly string[];
  readonly trust: 'trusted' | 'untrusted';
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads and validates the base configuration once, so that a bad file stops the run before any case
 * (`CONFIG_READ`, `CONFIG_INVALID` with the path of each problem).
 */
export async function loadBaseConfig(file: string | undefined, cwd = process.cwd()): Promise<BaseConfig> {
  let raw: unknown = {};
  let baseDir = cwd;
  let source = 'embedded defaults';
  if (file !== undefined) {
    source = resolve(file);
    baseDir = dirname(source);
    let text: string;
    try {
      text = await readFile(source, 'utf8');
    } catch (err) {
      throw new AgentwallError(ErrorCode.CONFIG_READ, `cannot read configuration ${file}: ${String(err)}`, {
        cause: err,
      });
    }
    raw = parseConfigText(text, source);
  }
  if (!isRecord(raw)) {
    throw new AgentwallError(ErrorCode.CONFIG_INVALID, `${source}: (root): expected an object`);
  }
  const policies = isRecord(raw.policies) ? raw.policies : {};
  const paths = Array.isArray(policies.paths)
    ? { paths: resolveBundlePaths(policies.paths.map(String), baseDir) }
    : {};
  const absolute = { ...raw, policies: { ...policies, ...paths } };
  const sample = caseConfig({ raw: absolute }, { command: 'node', args: [], trust: 'untrusted' }, cwd);
  const config = resolveConfig(sample, { source, baseDir });
  return { raw: absolute, config };
}

/**
 * One case's configuration: the base with `servers` replaced by the scripted server, its own data
 * directory (pins, approvals and the audit log of one case never meet another's), no policy file
 * watching (the run is short and makes hundreds of them), warnings-only logs, and no `auth`.
 */
export function caseConfig(
  base: Pick<BaseConfig, 'raw'>,
  server: CaseServer,
  dataDir: string,
): Record<string, unknown> {
  // `auth` is for the HTTP front only, and would need its token variables in agentwall's environment.
  const { auth: _auth, ...raw } = base.raw;
  const policies = isRecord(raw.policies) ? raw.policies : {};
  return {
    ...raw,
    data_dir: dataDir,
    servers: { [CASE_SERVER]: { command: server.command, args: [...server.args], trust: server.trust } },
    policies: { ...policies, watch: false },
    log: { level: 'warn' },
  };
}

/** The name agentwall lists a case tool under: prefixed only with `naming.prefix: always`. */
export function publicToolName(config: Config, tool: string): string {
  return config.naming.prefix === 'always' ? `${CASE_SERVER}${config.naming.separator}${tool}` : tool;
}
