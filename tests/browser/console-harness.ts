// The dashboard's browser tests: `agentwall serve` run in this process through the CLI's own `main`
// (the composition users get: admin API, /ui, /mcp and /v1 on one port), Debian's chromium driven by
// playwright-core, and screenshots under tests/artifacts/.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { main } from '../../src/cli/main.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { writeConfig } from '../helpers/agentwall.js';
import { EventLog } from '../helpers/event-log.js';
import { REPO_ROOT } from '../helpers/paths.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const ARTIFACTS = join(REPO_ROOT, 'tests/artifacts');

/** The flags the issue names, plus the ones that keep a headless run from reaching the network. */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

export interface InProcessServe {
  readonly url: string;
  /** The token `serve` generated and saved in `data_dir/admin.token`. */
  readonly token: string;
  readonly out: EventLog<string>;
  stop(): Promise<number>;
}

/** `agentwall serve --config FILE --port 0`, resolved once it prints its listening line. */
export async function serveInProcess(
  dir: string,
  config: ConfigInput & { data_dir: string },
): Promise<InProcessServe> {
  const file = await writeConfig(dir, config);
  const out = new EventLog<string>();
  const err = new EventLog<string>();
  let stop!: (signal: string) => void;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const exited = main(['serve', '--config', file, '--port', '0'], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    stopSignal: () => stopped,
  });
  const failed = exited.then((code) => {
    throw new Error(`agentwall serve exited (${code}) before listening: ${err.entries.join('\n')}`);
  });
  const line = await Promise.race([
    out.waitFor((l) => l.startsWith('agentwall listening on '), { timeoutMs: 90_000 }),
    failed,
  ]);
  const url = /listening on (http:\/\/\S+)/.exec(line)?.[1] ?? '';
  const token = (await readFile(join(config.data_dir, 'admin.token'), 'utf8')).trim();
  return {
    url,
    token,
    out,
    stop: () => {
      stop('test');
      return exited;
    },
  };
}

/** Opens the console, signs in with `token`, and waits until the sign-in is confirmed. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/ui/`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#status', { hasText: 'Signed in.' }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
