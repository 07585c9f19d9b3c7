// A tiny stdio MCP server whose failures the e2e tests control:
//
//   node --import tsx tests/helpers/crashy-server.ts
//
// Tools: `echo` (text → "echo: text"), `pid` (this process's id, to tell a restarted process apart),
// `crash` (exits the process while the call is in flight), `hang` (sends one progress notification and
// then waits until the call is cancelled), `cancelled` (answers, once some `hang` call was cancelled,
// with how many were; it gives up with an error after CANCEL_WAIT_MS).
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
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
  { name: 'hang', description: 'Never answers; ends when cancelled', inputSchema: { type: 'object' } },
  {
    name: 'cancelled',
    description: 'How many hang calls were cancelled (waits for the first)',
    inputSchema: { type: 'object' },
  },
];

let cancelledCount = 0;
const onCancelled = new Set<() => void>();

function text(value: string, isError = false): CallToolResult {
  return { content: [{ type: 'text', text: value }], ...(isError ? { isError } : {}) };
}

function waitForCancellation(): Promise<boolean> {
  if (cancelledCount > 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      onCancelled.delete(done);
      resolve(false);
    }, CANCEL_WAIT_MS);
    onCancelled.add(done);
  });
}

const server = new Server({ name: 'crashy', version: '1.0.0' }, { capabilities: { tools: {} } });

server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS }));

server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
  switch (req.params.name) {
    case 'echo':
      return text(`echo: ${String(req.params.arguments?.text)}`);
    case 'pid':
      return text(String(process.pid));
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
            for (const f of onCancelled) f();
            onCancelled.clear();
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
    case 'cancelled':
      return (await waitForCancellation())
        ? text(`cancelled: ${cancelledCount}`)
        : text(`no hang call was cancelled within ${CANCEL_WAIT_MS} ms`, true);
  }
  return text(`unknown tool ${req.params.name}`, true);
});

await server.connect(new StdioServerTransport());
process.stdin.once('end', () => process.exit(0));
