import { BlockList, isIP } from 'node:net';
import { posix } from 'node:path';
import { celFunc, CelScalar, type CelFunc } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import picomatch from 'picomatch';

/**
 * agentwall's own CEL functions, for what policies need and CEL lacks (documented in docs/policy.md).
 * Each is total: a malformed input gives false or "", never an evaluation error, because arguments
 * come from the agent and a rule must not be turned off by an odd value.
 */
export function agentwallFunctions(): CelFunc[] {
  const globCache = new Map<string, (s: string) => boolean>();
  const cidrCache = new Map<string, BlockList | undefined>();
  return [
    celFunc('glob', [CelScalar.STRING, CelScalar.STRING], CelScalar.BOOL, (path, pattern) => {
      let m = globCache.get(pattern);
      if (!m) globCache.set(pattern, (m = picomatch(pattern, { dot: true })));
      return m(posix.normalize(path));
    }),
    celFunc('path_within', [CelScalar.STRING, CelScalar.STRING], CelScalar.BOOL, pathWithin),
    celFunc('url_host', [CelScalar.STRING], CelScalar.STRING, urlHost),
    celFunc('email_domain', [CelScalar.STRING], CelScalar.STRING, (email) => {
      const at = email.lastIndexOf('@');
      return at > 0 ? email.slice(at + 1).toLowerCase() : '';
    }),
    celFunc('in_cidr', [CelScalar.STRING, CelScalar.STRING], CelScalar.BOOL, (ip, cidr) => {
      let list = cidrCache.get(cidr);
      if (!cidrCache.has(cidr)) cidrCache.set(cidr, (list = blockList(cidr)));
      const family = isIP(ip);
      return list !== undefined && family !== 0 && list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
    }),
  ];
}

/** Every function a policy can call: CEL's standard library, the strings extension, and ours. */
export function policyFunctions(): CelFunc[] {
  return [...strings, ...agentwallFunctions()];
}

/** Whether `path`, once normalised (`..` resolved), is `root` or inside it. */
export function pathWithin(path: string, root: string): boolean {
  if (!path.startsWith('/') || !root.startsWith('/')) return false;
  const p = posix.normalize(path);
  const r = posix.normalize(root).replace(/\/+$/, '') || '/';
  return r === '/' || p === r || p.startsWith(`${r}/`);
}

export function urlHost(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  } catch {
    return '';
  }
}

function blockList(cidr: string): BlockList | undefined {
  const [net, bits] = cidr.split('/');
  const family = isIP(net ?? '');
  const prefix = Number(bits);
  if (family === 0 || !Number.isInteger(prefix)) return undefined;
  const list = new BlockList();
  try {
    list.addSubnet(net ?? '', prefix, family === 6 ? 'ipv6' : 'ipv4');
  } catch {
    return undefined;
  }
  return list;
}
