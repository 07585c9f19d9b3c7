import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain } from '../helpers/cli.js';
import { openStore } from '../../src/state/store.js';

const dir = mkdtempSync(join(tmpdir(), 'agentwall-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = runMain;

describe('agentwall check-config', () => {
  it('accepts a valid file', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'servers:\n  files: { command: node, args: [server.js] }\n');
    const r = await run(['check-config', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('ok (1 servers');
  });

  it('prints every error with its path and exits 1', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'listen: { port: "x" }\nservers:\n  files: { url: "ftp://x" }\nextra: 1\n');
    const r = await run(['check-config', file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('CONFIG_INVALID');
    expect(r.err).toContain('listen.port:');
    expect(r.err).toContain('servers.files.url:');
    expect(r.err).toContain('Unrecognized key: "extra"');
  });
});

describe('agentwall audit verify', () => {
  it('reports ok, then the first broken record after tampering', async () => {
    const dataDir = join(dir, 'data');
    const store = openStore(dataDir);
    for (let i = 0; i < 3; i++) {
      await store.audit.append({
        time: i,
        event_id: `e${i}`,
        kind: 'tool_call',
        session: 's',
        principal: 'p',
        server: 'x',
        subject: 't',
        action: 'allow',
        rules: [],
        latency_ms: 0,
      });
    }
    const ok = await run(['audit', 'verify', '--data-dir', dataDir]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('audit log ok: 3 records');
    const table = store.root.openDB<Record<string, unknown>, number>({ name: 'audit' });
    table.putSync(2, { ...table.get(2), subject: 'tampered' });
    const broken = await run(['audit', 'verify', '--data-dir', dataDir]);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('AUDIT_CHAIN_BROKEN: audit log BROKEN at record 2');
    await store.close();
  });
});

describe('agentwall mcp', () => {
  it('asks for a server to wrap when given neither a command nor a configuration', async () => {
    const r = await run(['mcp']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('agentwall mcp -- COMMAND');
  });
});
