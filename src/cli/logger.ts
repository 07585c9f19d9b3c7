import pino, { type Logger } from 'pino';

/**
 * Never logged in clear: bearer tokens, API keys, and header sets that may carry them (an undici or
 * SDK error can carry the request's headers). Exact paths only: pino's
 * wildcard paths cost tens of microseconds on every line, and agentwall logs these keys nowhere else.
 */
export const REDACT_PATHS = [
  'authorization',
  'token',
  'api_key',
  'apiKey',
  'admin_token',
  'headers',
  'req.headers',
  'res.headers',
  'err.headers',
  'err.request.headers',
  'config.auth',
  'config.admin_token',
  'upstream.headers',
];

export interface LoggerHandle {
  readonly log: Logger;
  /** Writes out buffered lines; call before exit. */
  readonly flush: () => void;
}

/** pino's options for agentwall's logs: the level, the redaction of secrets, the `name` field. */
export function loggerOptions(level: string): pino.LoggerOptions {
  return { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { name: 'agentwall' } };
}

/**
 * JSON lines on stderr: stdout belongs to the MCP protocol in `agentwall mcp`, and one convention for
 * both commands keeps deployments simple. Writes are asynchronous and buffered to stay off the hot path.
 */
export function createLogger(level: string): LoggerHandle {
  // Lines are buffered up to 4 KiB and flushed at least every 250 ms: one write per burst of decisions
  // instead of a pipe write (and a wake-up of the reader) per line.
  const destination = pino.destination({ dest: 2, sync: false, minLength: 4096 });
  setInterval(() => destination.flush(), 250).unref();
  const log = pino(loggerOptions(level), destination);
  return {
    log,
    flush: () => {
      try {
        destination.flushSync();
      } catch {
        // Nothing buffered, or the stream is already closed.
      }
    },
  };
}
