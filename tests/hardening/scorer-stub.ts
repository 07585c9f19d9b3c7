// A remote classifier in vLLM's `/classify` shape (docs/scorer-backends.md) whose behaviour the faults
// suite switches: `ok` answers "benign" for every input, `error` answers 500, `hang` never answers,
// `garbage` answers 200 with a body that is not the API's. Requests are counted per mode.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ScorerMode = 'ok' | 'error' | 'hang' | 'garbage';

export interface ScorerStub {
  /** Base URL, without `/v1` (what `use.url` of the vllm backend takes). */
  readonly url: string;
  mode: ScorerMode;
  readonly served: Record<ScorerMode, number>;
  close(): Promise<void>;
}

export async function startScorerStub(): Promise<ScorerStub> {
  const sockets = new Set<Socket>();
  const hung = new Set<ServerResponse>();
  const stub: ScorerStub = {
    url: '',
    mode: 'ok',
    served: { ok: 0, error: 0, hang: 0, garbage: 0 },
    close: () => Promise.resolve(),
  };
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const mode = stub.mode;
      stub.served[mode] += 1;
      if (mode === 'hang') return void hung.add(res);
      if (mode === 'error') return void res.writeHead(500).end('{"error":"boom"}');
      if (mode === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('[');
      const { input } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { input: string[] };
      const data = input.map((_, index) => ({ index, label: 'SAFE', probs: [0.99, 0.01], num_classes: 2 }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
    });
  });
  http.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return Object.assign(stub, {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  });
}
