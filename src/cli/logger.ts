import pino, { type Logger } from 'pino';

/** Never logged in clear: bearer tokens and upstream headers that may carry them. */
export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'token',
  '*.token',
  'headers',
  '*.headers',
];

export interface LoggerHandle {
  readonly log: Logger;
  /** Writes out buffered lines; call before exit. */
  readonly flush: () => void;
}

/**
 * JSON lines on stderr: stdout belongs to the MCP protocol in `agentwall mcp`, and one convention for
 * both commands keeps deployments simple. Writes are asynchronous (buffered) to stay off the hot path.
 */
export function createLogger(level: string): LoggerHandle {
  const destination = pino.destination({ dest: 2, sync: false, minLength: 0 });
  const log = pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { name: 'agentwall' } },
    destination,
  );
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
