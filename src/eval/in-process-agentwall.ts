import { userInfo } from 'node:os';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { startRuntime } from '../cli/runtime.js';
import { loadConfigFile } from '../config/index.js';
import { isAgentwallError } from '../core/errors.js';
import { startStdioFront } from '../mcp/stdio-front.js';
import { LineTransport } from '../mcp/stdio-transport.js';
import { connectAgent, createTail, type LaunchAgentwall } from './agent-client.js';

/**
 * `--mode in-process`: what `agentwall mcp --config FILE` does (src/cli/main.ts), in the harness's
 * process: a fresh runtime over the case's configuration file (so its own data directory), and the
 * stdio front on a pair of in-memory streams whose other ends carry the agent's client. The upstream,
 * the scripted server, is still a real process that the runtime spawns as configured. Runtime logs go
 * to a buffer, kept for diagnostics, not to the harness's stderr. What it saves per case is starting
 * a Node process and loading agentwall's modules in it (docs/eval.md, "Cost").
 */
export function inProcessAgentwall(): LaunchAgentwall {
  // The principal `agentwall mcp` gives its stdio client.
  const principal = { id: `local:${userInfo().username}`, roles: [], claims: {} };
  return async function launchInProcess(c) {
    const deadline = performance.now() + c.startTimeoutMs;
    const logs = createTail();
    const rt = await (async () => {
      const config = await loadConfigFile(c.configFile);
      const log = pino({ level: config.log.level, base: { name: 'agentwall' } }, logs);
      return startRuntime(config, { logger: { log, flush: () => undefined } });
    })().catch((err: unknown) => {
      const why = isAgentwallError(err) ? `${err.code}: ${err.message}` : String(err);
      throw new Error(`agentwall did not start: ${why}\n${logs.text()}`, { cause: err });
    });
    const toAgentwall = new PassThrough();
    const fromAgentwall = new PassThrough();
    const front = await startStdioFront(rt.sessionDeps, principal, {
      stdin: toAgentwall,
      stdout: fromAgentwall,
    }).catch(async (err: unknown) => {
      await rt.close();
      throw err;
    });
    // The front closes the session's upstreams (the scripted server exits), then the runtime its store.
    const stop = async () => {
      await front.close();
      await rt.close();
      toAgentwall.end();
      fromAgentwall.end();
    };
    const transport = new LineTransport(fromAgentwall, toAgentwall, { answerBadInput: false });
    return connectAgent(
      { transport, logTail: logs.text, stop },
      { ...c, startTimeoutMs: deadline - performance.now() },
    );
  };
}
