// A tiny stdio MCP server whose failures the e2e tests control:
//
//   node --import tsx tests/helpers/crashy-server.ts [--linger-ms N]
//
// Tools: `echo` (text → "echo: text"), `pid` (this process's id, to tell a restarted process apart),
// `crash` (exits the process while the call is in flight), `hang` (sends one progress notification and
// then waits until the call is cancelled), `cancelled` (answers, once at least `atLeast` (default 1)
// `hang` calls were cancelled, with how many were; it gives up with an error after CANCEL_WAIT_MS),
// `fds` (what this process's open file descriptors point to; Linux) and `env` (the names of its
// environment variables), to check what an upstream inherits from agentwall. One resource
// (`crashy://pid`) and one prompt (`greet`), so that a restart changes every kind of listing.
//
// When stdin ends it exits, after `--linger-ms` (default 0) like a server that cleans up first; it says
// so on stderr (`crashy: stdin closed, exiting in N ms`), which a client of agentwall sees in its log.
import { readdirSync, readlinkSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

const CANCEL_WAIT_MS = 15_000;

const TOOLS: Tool[] = [
  {
    name: 'echo',
    description: 'Echoes the text back',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  },
  { name: 'pid', description: 'The process id of this server', inputSchema: { type: 'object' } },
  { name: 'crash', description: 'Exits the server process mid-call', inputSchema: { type: 'object' } },
  {
    name: 'fds',
    description: 'Targets of the open file descriptors (Linux)',
    inputSchema: { type: 'object' },
  },
  { name: 'env', description: 'Names of the environment variables', inputSchema: { type: 'object' } },
  { name: 'hang', description: 'Never answers; ends when cancelled', inputSchema: { type: 'object' } },
  {
    name: 'cancelled',
    description: 'How many hang calls were cancelled (waits until there are at least `atLeast`)',
    inputSchema: { type: 'object', properties: { atLeast: { type: 'number' } } },
  },
];

let cancelledCount = 0;
const onCancelled = new Set<() => void>();

/** Where each open file descriptor points (`/proc/self/fd`); empty where there is no /proc. */
function openFiles(): string[] {
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  return fds.flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return []; // the descriptor readdir itself used, closed by now
    }
  });
}

function text(value: string, isError = false): CallToolResult {
  return { content: [{ type: 'text', text: value }], ...(isError ? { isError } : {}) };
}

function waitForCancellations(atLeast: number): Promise<boolean> {
  if (cancelledCount >= atLeast) return Promise.resolve(true);
  return new Promise((resolve) => {
    const check = () => {
      if (cancelledCount < atLeast) return;
      clearTimeout(timer);
      onCancelled.delete(check);
      resolve(true);
    };
    const timer = setTimeout(() => {
      onCancelled.delete(check);
      resolve(false);
    }, CANCEL_WAIT_MS);
    onCancelled.add(check);
  });
}

const server = new Server(
  { name: 'crashy', version: '1.0.0' },
  { capabilities: { tools: {}, resources: {}, prompts: {} } },
);

server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS }));
server.setRequestHandler(ListResourcesRequestSchema, () => ({
  resources: [{ uri: 'crashy://pid', name: 'pid', mimeType: 'text/plain' }],
}));
server.setRequestHandler(ReadResourceRequestSchema, (req) => ({
  contents: [{ uri: req.params.uri, mimeType: 'text/plain', text: String(process.pid) }],
}));
server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: [{ name: 'greet' }] }));
server.setRequestHandler(GetPromptRequestSchema, () => ({
  messages: [{ role: 'user', content: { type: 'text', text: `hello from ${process.pid}` } }],
}));

server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
  switch (req.params.name) {
    case 'echo':
      return text(`echo: ${String(req.params.arguments?.text)}`);
    case 'pid':
      return text(String(process.pid));
    case 'fds':
      return text(JSON.stringify(openFiles()));
    case 'env':
      return text(JSON.stringify(Object.keys(process.env).sort()));
    case 'crash':
      // Exit with the request unanswered: the client sees its connection close mid-call.
      process.exit(3);
      break;
    case 'hang': {
      const aborted = new Promise<void>((resolve) =>
        extra.signal.addEventListener(
          'abort',
          () => {
            cancelledCount += 1;
            for (const check of [...onCancelled]) check();
            resolve();
          },
          { once: true },
        ),
      );
      const progressToken = req.params._meta?.progressToken;
      if (progressToken !== undefined) {
        // Tells the caller the call has arrived here, so that it cancels a call that is really in flight.
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress: 0, message: 'hanging' },
        });
      }
      await aborted;
      return text('cancelled');
    }
    case 'cancelled': {
      const atLeast = Number(req.params.arguments?.atLeast ?? 1);
      return (await waitForCancellations(atLeast))
        ? text(`cancelled: ${cancelledCount}`)
        : text(
            `${cancelledCount} hang calls cancelled after ${CANCEL_WAIT_MS} ms; expected ${atLeast}`,
            true,
          );
    }
  }
  return text(`unknown tool ${req.params.name}`, true);
});

const { values } = parseArgs({ options: { 'linger-ms': { type: 'string', default: '0' } } });
const lingerMs = Number(values['linger-ms']);

await server.connect(new StdioServerTransport());
process.stdin.once('end', () => {
  console.error(`crashy: stdin closed, exiting in ${lingerMs} ms`);
  setTimeout(() => process.exit(0), lingerMs);
});
