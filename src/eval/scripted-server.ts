// The scripted MCP server of `agentwall eval agent`: serves one case's tools over stdio (MCP spec,
// transports: stdio), answers each call from the case's trace, and appends every call it executes to a
// journal, which is how the harness learns what reached a server (not from what its client saw).
//
//   node dist/eval/scripted-server.js --case CASE.json --journal JOURNAL.jsonl
import { appendFileSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { VERSION } from '../mcp/version.js';
import type { CaseTool, EvalCase } from './cases.js';
import { createScript, type JournalEntry } from './script.js';

/** The tool as MCP lists it: the case's fields, the input schema exactly as given. */
function listed(t: CaseTool): Tool {
  return {
    name: t.name,
    ...(t.description === undefined ? {} : { description: t.description }),
    inputSchema: t.inputSchema,
    ...(t.annotations === undefined ? {} : { annotations: t.annotations }),
  };
}

/** A low-level SDK server, so the case's JSON Schemas go out as given rather than through zod. */
function createScriptedServer(c: EvalCase, journal: string): Server {
  const server = new Server(
    { name: 'agentwall-eval-scripted', version: VERSION },
    { capabilities: { tools: {} } },
  );
  const tools = c.tools.map(listed);
  const known = new Set(tools.map((t) => t.name));
  const serve = createScript(c);
  let seq = 0;
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, (req): CallToolResult => {
    const { name } = req.params;
    if (!known.has(name)) {
      return { content: [{ type: 'text', text: `unknown tool ${name}` }], isError: true };
    }
    const args = req.params.arguments ?? {};
    const served = serve({ name, arguments: args });
    const entry: JournalEntry = {
      seq: seq++,
      name,
      arguments: args,
      served_as: served.as,
      text: served.text,
    };
    // Written (synchronously) before the answer leaves: once the client has a result, the line is there.
    appendFileSync(journal, `${JSON.stringify(entry)}\n`);
    return { content: [{ type: 'text', text: served.text }] };
  });
  return server;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { case: { type: 'string' }, journal: { type: 'string' } },
    strict: true,
  });
  if (values.case === undefined || values.journal === undefined) {
    throw new Error('usage: scripted-server --case CASE.json --journal JOURNAL.jsonl');
  }
  // The harness wrote this file from a validated case.
  const c = JSON.parse(readFileSync(values.case, 'utf8')) as EvalCase;
  const server = createScriptedServer(c, values.journal);
  await server.connect(new StdioServerTransport());
}

main().catch((err: unknown) => {
  process.stderr.write(`scripted-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
