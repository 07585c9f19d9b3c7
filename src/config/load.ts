import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { isIP } from 'node:net';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import { configSchema, type ParsedConfig } from './schema.js';

export interface ResolvedToken {
  readonly token: string;
  readonly principal: string;
  readonly roles: readonly string[];
}

/** The validated, environment-resolved and frozen configuration every module receives. */
export type Config = Readonly<
  Omit<ParsedConfig, 'auth'> & {
    /** Absolute path of the data directory. */
    data_dir: string;
    auth: { tokens: readonly ResolvedToken[] } | undefined;
    /** Where the configuration came from: a file path, or `embedded defaults`. */
    source: string;
    /** What relative paths in it (policy bundles) are relative to: the file's directory, or the cwd. */
    base_dir: string;
    /** The admin API token from `admin.token_env`, when that variable is set. */
    admin_token: string | undefined;
    /** The environment variables the scorers' and routing upstreams' `api_key_env` name, resolved at load. */
    scorer_env: Readonly<Record<string, string>>;
  }
>;

export interface LoadOptions {
  /** Environment used for `token_env` references; `process.env` by default. */
  readonly env?: NodeJS.ProcessEnv;
  /** Base for a relative `data_dir` when the configuration is not from a file. */
  readonly cwd?: string;
  /** Values that replace the file's (command-line flags), applied before validation. */
  readonly overrides?: ConfigOverrides;
}

export interface ConfigOverrides {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  /** An absolute path (flags are resolved against the working directory, not the file). */
  readonly dataDir?: string | undefined;
  readonly servers?: Record<string, unknown> | undefined;
}

function applyOverrides(raw: unknown, o: ConfigOverrides | undefined): unknown {
  if (o === undefined || typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const out = { ...(raw as Record<string, unknown>) };
  if (o.host !== undefined || o.port !== undefined) {
    const listen = typeof out.listen === 'object' && out.listen !== null ? out.listen : {};
    out.listen = {
      ...listen,
      ...(o.host === undefined ? {} : { host: o.host }),
      ...(o.port === undefined ? {} : { port: o.port }),
    };
  }
  if (o.dataDir !== undefined) out.data_dir = o.dataDir;
  if (o.servers !== undefined) out.servers = o.servers;
  return out;
}

/** Reads, parses (YAML or JSON) and validates a configuration file. */
export async function loadConfigFile(file: string, options: LoadOptions = {}): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AgentwallError(
      ErrorCode.CONFIG_READ,
      `cannot read configuration ${file}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const raw = parseConfigText(text, file);
  return resolveConfig(raw, { ...options, source: resolve(file), baseDir: dirname(resolve(file)) });
}

/** The embedded default configuration: loopback, `./.agentwall`, no upstream servers, allow-all pipeline. */
export function defaultConfig(options: LoadOptions = {}): Config {
  return resolveConfig(
    {},
    { ...options, source: 'embedded defaults', baseDir: options.cwd ?? process.cwd() },
  );
}

export function parseConfigText(text: string, file: string): unknown {
  if (extname(file).toLowerCase() === '.json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new AgentwallError(ErrorCode.CONFIG_INVALID, `${file}: invalid JSON: ${(err as Error).message}`);
    }
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0] ?? e.code}`;
    });
    throw new AgentwallError(ErrorCode.CONFIG_INVALID, lines.join('\n'), { data: { errors: lines } });
  }
  return (doc.toJS() as unknown) ?? {};
}

interface ResolveOptions extends LoadOptions {
  readonly source: string;
  readonly baseDir: string;
}

/** Validates a raw configuration object, resolves environment references and freezes the result. */
export function resolveConfig(raw: unknown, options: ResolveOptions): Config {
  const parsed = configSchema.safeParse(applyOverrides(raw, options.overrides));
  if (!parsed.success) {
    const errors = formatIssues(parsed.error.issues);
    throw new AgentwallError(ErrorCode.CONFIG_INVALID, `${options.source}:\n  ${errors.join('\n  ')}`, {
      data: { errors },
    });
  }
  const c = parsed.data;
  const env = options.env ?? process.env;
  const errors: string[] = [];
  const tokens = (c.auth?.tokens ?? []).map((t, i) => {
    const token = env[t.token_env];
    if (token === undefined || token.length === 0) {
      errors.push(`auth.tokens[${i}].token_env: environment variable ${t.token_env} is not set`);
    } else if (token.length < 16) {
      errors.push(`auth.tokens[${i}].token_env: the token in ${t.token_env} is shorter than 16 characters`);
    }
    return { token: token ?? '', principal: t.principal, roles: t.roles };
  });
  const adminToken = env[c.admin.token_env] || undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    errors.push(`admin.token_env: the token in ${c.admin.token_env} is shorter than 16 characters`);
  }
  const scorerEnv: Record<string, string> = {};
  for (const name of ['injection', 'jailbreak'] as const) {
    const scorer = c.scorers[name];
    const keyEnv = scorer.use.backend === 'vllm' ? scorer.use.api_key_env : undefined;
    if (keyEnv === undefined || !scorer.enabled) continue;
    const value = env[keyEnv];
    if (value === undefined || value === '') {
      errors.push(`scorers.${name}.use.api_key_env: environment variable ${keyEnv} is not set`);
    } else scorerEnv[keyEnv] = value;
  }
  for (const [i, u] of (c.routing?.upstreams ?? []).entries()) {
    if (u.api_key_env === undefined) continue;
    const value = env[u.api_key_env];
    if (value === undefined || value === '') {
      errors.push(`routing.upstreams[${i}].api_key_env: environment variable ${u.api_key_env} is not set`);
    } else scorerEnv[u.api_key_env] = value;
  }
  if (c.auth === undefined && !isLoopback(c.listen.host)) {
    errors.push(
      `listen.host: ${c.listen.host} is not a loopback address; configure auth.tokens to listen on it`,
    );
  }
  if (errors.length > 0) {
    throw new AgentwallError(ErrorCode.CONFIG_ENV_MISSING, `${options.source}:\n  ${errors.join('\n  ')}`, {
      data: { errors },
    });
  }
  return deepFreeze({
    ...c,
    data_dir: resolve(options.baseDir, c.data_dir),
    auth: c.auth === undefined ? undefined : { tokens },
    source: options.source,
    base_dir: options.baseDir,
    admin_token: adminToken,
    scorer_env: scorerEnv,
  });
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const family = isIP(host);
  if (family === 4) return host.startsWith('127.');
  if (family === 6) return host === '::1';
  return false;
}

/** `servers.files.command: expected string, received number` — one line per problem, path first. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
      .join('');
    return `${path || '(root)'}: ${issue.message}`;
  });
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
