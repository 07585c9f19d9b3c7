// An upstream Streamable HTTP MCP server of our own (the SDK's McpServer and transport on node:http,
// loopback, port 0) that records the headers of every request it receives: the auth suite checks that
// agentwall never passes the client's token, or headers the client forged, through to an upstream.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface HeaderRecorder {
  /** `http://127.0.0.1:PORT/mcp` */
  readonly url: string;
  /** Headers of every request so far, in arrival order. */
  readonly seen: readonly IncomingHttpHeaders[];
  close(): Promise<void>;
}

function mcpServer(): McpServer {
  const server = new McpServer({ name: 'header-recorder', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes the text back', inputSchema: { text: z.string() } },
    ({ text }) => ({ content: [{ type: 'text', text: `echo: ${text}` }] }),
  );
  return server;
}

/** `record: false` keeps nothing (the load benchmark's upstream answers for minutes). */
export async function startHeaderRecorder(options: { record?: boolean } = {}): Promise<HeaderRecorder> {
  const seen: IncomingHttpHeaders[] = [];
  const isRecording = options.record ?? true;
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http = createServer((req, res) => {
    if (isRecording) seen.push({ ...req.headers });
    const sid = req.headers['mcp-session-id'];
    let transport = typeof sid === 'string' ? transports.get(sid) : undefined;
    const serve = async () => {
      if (!transport) {
        const t = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => void transports.set(id, t),
        });
        await mcpServer().connect(t);
        transport = t;
      }
      await transport.handleRequest(req, res);
    };
    serve().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    seen,
    async close() {
      await Promise.all([...transports.values()].map((t) => t.close().catch(() => undefined)));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
