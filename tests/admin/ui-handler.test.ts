// The dashboard's static files under /ui: content types, security headers, and no way out of the
// directory (raw paths: fetch would normalise `..` away before sending).
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUiHandler, defaultUiDir, uiPathOf } from '../../src/admin/ui-handler.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

let dir: TempDir;
let server: Server;
let port: number;

beforeAll(async () => {
  dir = await makeTempDir('agentwall-ui-');
  const ui = join(dir.path, 'ui');
  await mkdir(join(ui, 'pages'), { recursive: true });
  await writeFile(join(ui, 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(join(ui, 'pages', 'a.js'), 'export const a = 1;\n');
  await writeFile(join(ui, '.secret.js'), 'hidden');
  await writeFile(join(dir.path, 'outside.js'), 'outside');
  await symlink(join(dir.path, 'outside.js'), join(ui, 'link.js'));
  const handler = createUiHandler({ dir: ui });
  const real = createUiHandler();
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const h = path.startsWith('/real') ? real(req, res, path.slice('/real'.length)) : handler(req, res, path);
    void h.then((handled) => handled || res.writeHead(418).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await dir.remove();
});

function get(
  path: string,
  method = 'GET',
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the /ui handler', () => {
  it('redirects /ui to /ui/ and serves index.html there with CSP, nosniff and no-referrer', async () => {
    const r = await get('/ui');
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe('/ui/');
    const index = await get('/ui/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['referrer-policy']).toBe('no-referrer');
    expect(index.body).toContain('<title>t</title>');
  });

  it('serves a module with the JavaScript type; HEAD without a body', async () => {
    const r = await get('/ui/pages/a.js');
    expect(r).toMatchObject({ status: 200, body: 'export const a = 1;\n' });
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const head = await get('/ui/pages/a.js', 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-length']).toBe('20');
  });

  it.each([
    '/ui/../outside.js',
    '/ui/pages/../../outside.js',
    '/ui/%2e%2e/outside.js',
    '/ui/pages/%2e%2e%2f%2e%2e%2foutside.js',
    '/ui/..%5coutside.js',
    '/ui/.secret.js',
    '/ui/link.js',
    '/ui/missing.js',
    '/ui/index.ts',
    '/ui/pages',
    '/ui/pages/',
  ])('answers 404 to %s and never leaks a file outside the directory', async (path) => {
    const r = await get(path);
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('outside');
  });

  it('answers 400 to a path that is not valid percent-encoding, 405 to a POST; other paths pass on', async () => {
    expect((await get('/ui/%ff%fe.js')).status).toBe(400);
    const post = await get('/ui/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await get('/uix')).status).toBe(418);
    expect((await get('/admin')).status).toBe(418);
  });

  it('serves every file of the shipped console with its type, and index.html loads only files that exist', async () => {
    const root = defaultUiDir();
    const files: string[] = [];
    const walk = async (d: string) => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(d, e.name));
        else files.push(relative(root, join(d, e.name)));
      }
    };
    await walk(root);
    expect(files).toEqual(expect.arrayContaining(['index.html', 'app.js', 'api.js', 'style.css']));
    const types: Record<string, string> = { html: 'text/html', js: 'text/javascript', css: 'text/css' };
    for (const f of files) {
      const r = await get(`/real/ui/${f}`);
      expect({ f, status: r.status, type: r.headers['content-type']?.split(';')[0] }).toEqual({
        f,
        status: 200,
        type: types[f.split('.').pop() ?? ''],
      });
    }
    const index = await get('/real/ui/');
    for (const [, ref] of index.body.matchAll(/(?:src|href)="([^"#]+)"/g)) expect(files).toContain(ref);
  });

  it.each([
    ['/ui', 'index.html'],
    ['/ui/pages/memory.js', 'pages/memory.js'],
  ])('maps %s to %s', (path, relativePath) => {
    expect(uiPathOf(path)).toEqual({ ok: true, relative: relativePath });
  });
});
