// `agentwall serve` as a child in its own process group, for the suites that signal it themselves
// (SIGKILL mid-load, resource limits on its pid): tests/helpers/agentwall.ts's startServe hides the child.
import { startChild, waitForStdout, type Running } from '../helpers/child.js';
import { AGENTWALL_BIN, REPO_ROOT, assertBuilt } from '../helpers/paths.js';

export interface ServeChild {
  readonly running: Running;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly pid: number;
}

export async function startServeChild(
  configFile: string,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<ServeChild> {
  assertBuilt();
  const running = startChild(
    process.execPath,
    [AGENTWALL_BIN, 'serve', '--config', configFile, '--port', '0', '--data-dir', dataDir],
    { cwd: REPO_ROOT, env: { ...process.env, ...env } },
  );
  try {
    const m = await waitForStdout(running, /agentwall listening on (http:\/\/[^\s"',]+)/, 60_000);
    return { running, url: m[1] as string, pid: running.child.pid as number };
  } catch (err) {
    await running.stop();
    throw err;
  }
}
