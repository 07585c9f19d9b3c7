import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
};

/**
 * The console's pages load scripts and styles from `/ui` only and talk to `/admin` on the same origin;
 * nothing inline, no framing (clickjacking an approve button), no other origin.
 */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The UI files: `ui/` beside this module (src/admin/ui under tsx); a build that does not copy them
 * (tsc copies no .js/.css/.html) falls back to the sources of the package.
 */
export function defaultUiDir(): string {
  const beside = fileURLToPath(new URL('./ui/', import.meta.url));
  if (existsSync(join(beside, 'index.html'))) return beside;
  return fileURLToPath(new URL('../../src/admin/ui/', import.meta.url));
}

export type UiPath = { ok: true; relative: string } | { ok: false; status: 404 | 400; message: string };

/** Which file a `/ui…` path names: plain segments only, no dot files, no `..`, a known extension. */
export function uiPathOf(path: string): UiPath {
  let rel: string;
  try {
    rel = decodeURIComponent(path.slice('/ui'.length)).replace(/^\/+/, '');
  } catch {
    return { ok: false, status: 400, message: 'bad path encoding' };
  }
  if (rel === '') rel = 'index.html';
  const segments = rel.split('/');
  const plain = segments.every((s) => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(s) && !s.includes('..'));
  if (!plain || rel.includes('\\') || rel.includes('\0'))
    return { ok: false, status: 404, message: 'not found' };
  if (TYPES[extname(rel)] === undefined) return { ok: false, status: 404, message: 'not found' };
  return { ok: true, relative: rel };
}

/**
 * Serves the dashboard under `/ui` (GET and HEAD; `/ui` redirects to `/ui/`). The files hold no
 * secret: the pages ask for the admin token and send it to `/admin` themselves. Returns false for
 * other paths so the caller can go on.
 */
export function createUiHandler(options: { dir?: string } = {}) {
  const dir = options.dir ?? defaultUiDir();
  const base = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
  const plain = (res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...base, 'content-type': 'text/plain; charset=utf-8', ...extra });
    res.end(text);
  };
  return async function uiHandler(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (path !== '/ui' && !path.startsWith('/ui/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
      return true;
    }
    if (path === '/ui') {
      res.writeHead(308, { ...base, location: '/ui/' });
      res.end();
      return true;
    }
    const p = uiPathOf(path);
    if (!p.ok) {
      plain(res, p.status, `${p.message}\n`);
      return true;
    }
    const root = await realpath(dir);
    const file = await realpath(join(root, p.relative)).catch(() => undefined);
    // A symlink inside the directory must not lead out of it either.
    if (file === undefined || !file.startsWith(root + sep) || !(await stat(file)).isFile()) {
      plain(res, 404, 'not found\n');
      return true;
    }
    const content = await readFile(file);
    res.writeHead(200, {
      ...base,
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': String(content.length),
      'content-security-policy': UI_CSP,
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : content);
    return true;
  };
}
