import type { Readable } from 'node:stream';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { connectAgent, createTail, type LaunchAgentwall } from './agent-client.js';

/**
 * `--mode spawn`: each case runs `node <agentwallBin> mcp --config FILE`, as a user's MCP client
 * would, and talks to it over the process's stdio. Closing the client closes agentwall's stdin;
 * agentwall then stops its upstream and exits (SIGTERM, then SIGKILL, if it does not).
 */
export function spawnAgentwall(agentwallBin: string): LaunchAgentwall {
  return async function launchSpawned(c) {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [agentwallBin, 'mcp', '--config', c.configFile],
      cwd: c.dir,
      env: getDefaultEnvironment(),
      stderr: 'pipe',
    });
    const stderr = createTail();
    (transport.stderr as Readable | null)?.on('data', (chunk: Buffer) => stderr.write(chunk));
    return connectAgent({ transport, logTail: stderr.text }, c);
  };
}
