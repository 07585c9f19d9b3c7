import { z } from 'zod';
import { scorerBackendSchema } from '../ml/backends.js';
import { DEFAULT_CHUNK } from '../ml/onnx-session.js';
import { parseDuration } from './duration.js';
import { routingSchema } from '../routing/schema.js';

/** A duration such as `30s` or `5m` (or a number of milliseconds), parsed to milliseconds. */
const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid duration ${JSON.stringify(v)} (use e.g. 250ms, 30s, 5m, 1h)`,
    });
    return z.NEVER;
  }
  return ms;
});

/** Server names become the namespace of their tools, so they are restricted to a safe alphabet. */
export const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const serverSchema = z
  .strictObject({
    command: z.string().min(1).optional(),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
    url: z.url({ protocol: /^https?$/ }).optional(),
    headers: z.record(z.string(), z.string()).default({}),
    trust: z.enum(['trusted', 'untrusted']).default('untrusted'),
    /** Per-request timeout toward this upstream; progress notifications reset it. */
    timeout: duration.default(120_000),
    enabled: z.boolean().default(true),
  })
  .superRefine((s, ctx) => {
    if ((s.command === undefined) === (s.url === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of `command` (stdio) or `url` (Streamable HTTP)',
      });
    }
    if (s.url !== undefined && (s.args.length > 0 || Object.keys(s.env).length > 0 || s.cwd !== undefined)) {
      ctx.addIssue({ code: 'custom', message: '`args`, `env` and `cwd` apply to stdio servers only' });
    }
    if (s.command !== undefined && Object.keys(s.headers).length > 0) {
      ctx.addIssue({ code: 'custom', path: ['headers'], message: '`headers` apply to HTTP servers only' });
    }
  });

const tokenSchema = z.strictObject({
  /** The name of the environment variable holding the bearer token; read at start. */
  token_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
  principal: z.string().min(1),
  roles: z.array(z.string()).default([]),
});

/** A shipped ONNX scorer whose score becomes `signals.<name>` (docs/models.md). */
const scorerToggle = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Slower than this fails the stage, and `pipeline.on_stage_error` decides. */
    timeout: duration.default(250),
    /** Which model scores: the shipped ONNX one by default, or an hf / vllm backend (docs/scorer-backends.md). */
    use: scorerBackendSchema.default({
      backend: 'onnx',
      execution_providers: ['cpu'],
      chunk: { ...DEFAULT_CHUNK },
    }),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    listen: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8787),
      })
      .prefault({}),
    data_dir: z.string().min(1).default('./.agentwall'),
    servers: z.record(z.string(), serverSchema).default({}),
    naming: z
      .strictObject({
        /** Joins server and tool/prompt names: `files__read_text_file`. */
        separator: z.string().min(1).max(8).default('__'),
        /** `auto`: prefix only when more than one server is configured; `always`: prefix every name. */
        prefix: z.enum(['auto', 'always']).default('auto'),
      })
      .prefault({}),
    auth: z.strictObject({ tokens: z.array(tokenSchema).min(1) }).optional(),
    admin: z
      .strictObject({
        /**
         * The admin API's bearer token is read from this variable. When it is not set, agentwall makes
         * a random token at start and writes it to `data_dir/admin.token` (mode 0600).
         */
        token_env: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
          .default('AGENTWALL_ADMIN_TOKEN'),
      })
      .prefault({}),
    http: z
      .strictObject({
        max_body_bytes: z
          .number()
          .int()
          .positive()
          .default(4 * 1024 * 1024),
        /** Extra `Host` header values accepted besides the listen address (DNS-rebinding protection). */
        allowed_hosts: z.array(z.string()).default([]),
        /** `Origin` values accepted from browsers; loopback origins are accepted when listening on loopback. */
        allowed_origins: z.array(z.string()).default([]),
        session_idle_timeout: duration.default(30 * 60_000),
      })
      .prefault({}),
    pipeline: z
      .strictObject({
        default_action: z.enum(['allow', 'deny']).default('allow'),
        /** A stage (scorer, policy) that fails: `deny` fails closed. */
        on_stage_error: z.enum(['deny', 'allow']).default('deny'),
      })
      .prefault({}),
    policies: z
      .strictObject({
        /** Rule bundles, in order; `@default` is the bundle shipped with agentwall. Relative to this file. */
        paths: z.array(z.string().min(1)).min(1).default(['@default']),
        /** A rule that cannot be evaluated (missing field, type error) counts as this action. */
        on_error: z.enum(['deny', 'allow']).default('deny'),
        /** Reload the bundles when their files change (a bad bundle is rejected; the old one stays). */
        watch: z.boolean().default(true),
        /** Values rules read as `params.*`. */
        params: z
          .looseObject({
            fs_roots: z.array(z.string().startsWith('/', 'roots are absolute paths')).default([]),
            max_calls_per_session: z.number().int().positive().default(1000),
          })
          .prefault({}),
      })
      .prefault({}),
    /** ML scorers whose scores become `signals.*` for policies (docs/models.md). */
    scorers: z
      .strictObject({
        injection: scorerToggle,
        jailbreak: scorerToggle,
        /** The shipped tool-capability classifier (`signals.capability_*`, `signals.read_only`). */
        capability: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
      })
      .prefault({}),
    /** The inbound checkpoint: what is done to content before the model sees it (docs/inbound.md). */
    inbound: z
      .strictObject({
        /** Remove zero-width, bidi-control and Unicode tag characters from what the model sees. */
        strip_invisible: z.boolean().default(true),
        /** Hosts that Markdown images and links in content may point to (`*.example.com` globs). */
        allow_hosts: z.array(z.string().min(1)).default([]),
        /** Content beyond this many characters per event is passed on uninspected, with a finding. */
        max_chars: z.number().int().positive().default(4_000_000),
      })
      .prefault({}),
    /** Tool pinning (rug-pull defence, docs/pinning.md). */
    pinning: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** What a changed tool definition does until someone approves it. */
        mode: z.enum(['block', 'require_approval', 'warn']).default('block'),
      })
      .prefault({}),
    /** Token-bucket rate limits on tool calls (see docs/policy.md, "Rate limits"). */
    limits: z
      .array(
        z.strictObject({
          id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/),
          scope: z.enum(['principal', 'session', 'tool']),
          per_minute: z.number().positive(),
          burst: z.number().int().positive().optional(),
          tools: z.array(z.string().min(1)).optional(),
        }),
      )
      .default([]),
    /** The state checkpoint: agentwall's built-in `memory` MCP server (docs/memory.md). */
    memory: z
      .strictObject({
        /** Serve the built-in memory server beside the configured ones (docs/memory.md). */
        enabled: z.boolean().default(true),
        /**
         * Its name in policies (`tool.server`), audit records and approvals; its tools keep their own
         * names in listings. Default `memory`, or `agentwall_memory` when `servers.memory` exists (the
         * common name for @modelcontextprotocol/server-memory).
         */
        server_name: z.string().regex(SERVER_NAME).optional(),
        /** Namespaces every principal may read and write besides its own `principal:<id>`. */
        shared_namespaces: z.array(z.string().min(1).max(200)).default([]),
        /** How the inbound checkpoint treats what memory reads return (as for `servers.<name>.trust`). */
        trust: z.enum(['trusted', 'untrusted']).default('trusted'),
        /** Larger values are refused. */
        max_value_bytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024),
        /** Calls to other servers that keep state, journaled as external writes (docs/memory.md). */
        external: z
          .array(
            z.strictObject({
              server: z.string().min(1),
              tool: z.string().min(1),
              /** The compensating call issued on revocation: a tool, and CEL over `args` giving its arguments. */
              compensate: z.strictObject({ tool: z.string().min(1), args: z.string().min(1) }).optional(),
            }),
          )
          .default([]),
      })
      .prefault({}),
    /** The LLM router: an OpenAI-compatible front under /v1 (docs/routing.md); off when absent. */
    routing: routingSchema.optional(),
    upstreams: z
      .strictObject({
        restart_initial_delay: duration.default(250),
        restart_max_delay: duration.default(30_000),
        connect_timeout: duration.default(30_000),
      })
      .prefault({}),
    log: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    if (
      c.memory.enabled &&
      c.memory.server_name !== undefined &&
      Object.hasOwn(c.servers, c.memory.server_name)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['memory', 'server_name'],
        message: `the built-in memory server's name "${c.memory.server_name}" is taken by servers.${c.memory.server_name}; set memory.server_name`,
      });
    }
    if (
      c.memory.enabled &&
      c.memory.server_name !== undefined &&
      (c.memory.server_name + c.naming.separator).indexOf(c.naming.separator) !== c.memory.server_name.length
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['memory', 'server_name'],
        message: `must not contain (or end with part of) the naming separator ${JSON.stringify(c.naming.separator)}`,
      });
    }
    const sep = c.naming.separator;
    for (const name of Object.keys(c.servers)) {
      if (!SERVER_NAME.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['servers', name],
          message:
            'server names use letters, digits, `_` and `-` (at most 64, starting with a letter or digit)',
        });
      } else if ((name + sep).indexOf(sep) !== name.length) {
        // `server + sep + tool` must split back at the first separator into exactly this server:
        // a name that contains the separator, or ends in part of it (`a_` with `__`), would not.
        ctx.addIssue({
          code: 'custom',
          path: ['servers', name],
          message: `server name must not contain (or end with part of) the naming separator ${JSON.stringify(sep)}`,
        });
      }
    }
  })
  .transform((c) => ({ ...c, memory: { ...c.memory, server_name: builtinMemoryName(c) } }));

/** The built-in memory server's name: as configured, else `memory` unless a configured server has it. */
function builtinMemoryName(c: { memory: { server_name?: string | undefined }; servers: object }): string {
  if (c.memory.server_name !== undefined) return c.memory.server_name;
  if (!Object.hasOwn(c.servers, 'memory')) return 'memory';
  let name = 'agentwall_memory';
  for (let n = 2; Object.hasOwn(c.servers, name); n++) name = `agentwall_memory${n}`;
  return name;
}

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type ServerConfig = ParsedConfig['servers'][string];
