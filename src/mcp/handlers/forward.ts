import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ProgressToken, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { ForwardOptions } from '../upstream.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * Options for forwarding one front request upstream: the client's cancellation aborts the upstream
 * request (the SDK then sends `notifications/cancelled` upstream), and upstream progress is re-sent to
 * the client under the client's own progress token (MCP spec, utilities: progress, cancellation).
 */
export function forwardOptions(progressToken: ProgressToken | undefined, extra: Extra): ForwardOptions {
  if (progressToken === undefined) return { signal: extra.signal };
  return {
    signal: extra.signal,
    onProgress: (p) => {
      extra
        .sendNotification({ method: 'notifications/progress', params: { ...p, progressToken } })
        .catch(() => undefined);
    },
  };
}
