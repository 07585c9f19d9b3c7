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
export function serverNameFor(command: readonly string[]): string {
  for (const token of command) {
    if (token.startsWith('-')) continue;
    const base = (token.split('/').pop() ?? '').replace(/@[^@]*$/, '').replace(/\.(m?[jt]s|py|exe)$/, '');
    if (base === '' || LAUNCHERS.has(base)) continue;
    const name = base
      .replace(/[^A-Za-z0-9_-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 64);
    if (name !== '') return name;
  }
  return 'upstream';
}
