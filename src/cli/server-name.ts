const LAUNCHERS = new Set([
  'npx',
  'node',
  'uvx',
  'uv',
  'python',
  'python3',
  'deno',
  'bun',
  'bunx',
  'pnpm',
  'yarn',
  'dlx',
  'run',
  'exec',
  'tsx',
]);

/**
 * A readable server name for `agentwall mcp -- COMMAND ARGS…`, used in logs and the audit log:
 * `npx -y @modelcontextprotocol/server-filesystem /tmp` → `server-filesystem`.
 */
/** Entry-point file and folder names that say nothing about the server; the folder above is asked. */
const GENERIC = new Set(['index', 'main', 'server', 'cli', 'bin', 'dist', 'build', 'lib', 'src', 'out']);

export function serverNameFor(command: readonly string[]): string {
  for (const token of command) {
    if (token.startsWith('-')) continue;
    const parts = token
      .split('/')
      .map((p) => p.replace(/@[^@]*$/, '').replace(/\.(m?[jt]s|c?js|py|exe)$/, ''));
    let base = parts.pop() ?? '';
    while (GENERIC.has(base) && parts.length > 0) base = parts.pop() ?? '';
    if (base === '' || LAUNCHERS.has(base)) continue;
    const name = base
      .replace(/[^A-Za-z0-9_-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 64);
    if (name !== '') return name;
  }
  return 'upstream';
}
