// The admin routes under test, served by the real admin handler on a real node:http server.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdminHandler, type AdminRoute } from '../../src/admin/router.js';

export interface AdminServer {
  /** `http://127.0.0.1:PORT` */
  readonly base: string;
  close(): Promise<void>;
}

export async function startAdminServer(routes: readonly AdminRoute[], token: string): Promise<AdminServer> {
  const handler = createAdminHandler({ routes, token, maxBodyBytes: 64 * 1024 });
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    void handler(req, res, path).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
