/**
 * Every error agentwall raises on purpose carries a stable `code`; callers match on the code, never on
 * `instanceof` or the message (as undici does). `docs/errors.md` documents each code and a test checks
 * both directions.
 */
export const ErrorCode = {
  CONFIG_INVALID: 'CONFIG_INVALID',
  CONFIG_READ: 'CONFIG_READ',
  CONFIG_ENV_MISSING: 'CONFIG_ENV_MISSING',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  UPSTREAM_CLOSED: 'UPSTREAM_CLOSED',
  UPSTREAM_TIMEOUT: 'UPSTREAM_TIMEOUT',
  INVALID_PARAMS: 'INVALID_PARAMS',
  UNKNOWN_TOOL: 'UNKNOWN_TOOL',
  UNKNOWN_RESOURCE: 'UNKNOWN_RESOURCE',
  UNKNOWN_PROMPT: 'UNKNOWN_PROMPT',
  INVALID_CURSOR: 'INVALID_CURSOR',
  CONTENT_WITHHELD: 'CONTENT_WITHHELD',
  AUDIT_CHAIN_BROKEN: 'AUDIT_CHAIN_BROKEN',
  AUDIT_UNAVAILABLE: 'AUDIT_UNAVAILABLE',
  POLICY_COMPILE: 'POLICY_COMPILE',
  DATA_INVALID: 'DATA_INVALID',
  MODEL_LOAD: 'MODEL_LOAD',
  SCORER_TIMEOUT: 'SCORER_TIMEOUT',
  SCORER_UNAVAILABLE: 'SCORER_UNAVAILABLE',
  SCORER_REJECTED: 'SCORER_REJECTED',
  SCORER_BAD_RESPONSE: 'SCORER_BAD_RESPONSE',
  SCORER_CIRCUIT_OPEN: 'SCORER_CIRCUIT_OPEN',
  STORE_OPEN: 'STORE_OPEN',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface AgentwallErrorOptions {
  cause?: unknown;
  data?: Record<string, unknown>;
}

export class AgentwallError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AgentwallErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentwallError';
    this.code = code;
    this.data = options.data;
  }
}

export function isAgentwallError(err: unknown, code?: ErrorCode): err is AgentwallError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'AgentwallError' &&
    (code === undefined || (err as { code?: unknown }).code === code)
  );
}
