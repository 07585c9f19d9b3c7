/**
 * Host allow-list patterns: `example.com` matches that host only, `*.example.com` any subdomain of it
 * (not the apex: list both when both are meant), `*` every host. Case-insensitive; ports are ignored.
 */
export function isHostAllowed(host: string, allowHosts: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  for (const raw of allowHosts) {
    const pattern = raw.trim().toLowerCase().replace(/\.$/, '');
    if (pattern === '*' || pattern === h) return true;
    if (pattern.startsWith('*.') && h.endsWith(pattern.slice(1)) && h.length > pattern.length - 1)
      return true;
  }
  return false;
}
