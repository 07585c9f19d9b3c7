import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig, loadConfigFile, resolveConfig } from '../../src/config/index.js';
import { isAgentwallError } from '../../src/core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'agentwall-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorsOf(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    resolveConfig(raw, { source: 'test.yaml', baseDir: dir, env });
  } catch (err) {
    if (isAgentwallError(err)) return (err.data?.errors as string[]) ?? [err.message];
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('starts from embedded defaults: loopback 8787, ./.agentwall, no servers, allow-all', () => {
    const c = defaultConfig({ cwd: dir });
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 8787 });
    expect(c.data_dir).toBe(join(dir, '.agentwall'));
    expect(c.servers).toEqual({});
    expect(c.pipeline).toEqual({ default_action: 'allow', on_stage_error: 'deny' });
    expect(c.source).toBe('embedded defaults');
    expect(Object.isFrozen(c.listen)).toBe(true);
  });

  it('accepts the documented example and resolves token_env at load', () => {
    const c = resolveConfig(
      {
        listen: { host: '127.0.0.1', port: 8787 },
        data_dir: './.agentwall',
        servers: {
          files: {
            command: 'npx',
            args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'],
            env: {},
            trust: 'trusted',
          },
          remote: {
            url: 'http://127.0.0.1:3001/mcp',
            headers: { Authorization: 'Bearer x' },
            trust: 'untrusted',
          },
        },
        auth: { tokens: [{ token_env: 'AGENTWALL_TOKEN', principal: 'alice', roles: ['dev'] }] },
      },
      { source: 't', baseDir: dir, env: { AGENTWALL_TOKEN: 'a-long-enough-secret-token' } },
    );
    expect(c.auth?.tokens).toEqual([
      { token: 'a-long-enough-secret-token', principal: 'alice', roles: ['dev'] },
    ]);
    expect(c.servers.files?.timeout).toBe(120_000);
    expect(c.servers.remote?.trust).toBe('untrusted');
  });

  it.each([
    [{ listen: { hots: 'x' } }, 'listen: Unrecognized key: "hots"'],
    [
      { servers: { files: { command: 3 } } },
      'servers.files.command: Invalid input: expected string, received number',
    ],
    [
      { servers: { files: {} } },
      'servers.files: give exactly one of `command` (stdio) or `url` (Streamable HTTP)',
    ],
    [{ servers: { 'a b': { command: 'x' } } }, 'servers.a b: server names use letters, digits, `_` and `-`'],
    [
      { servers: { a__b: { command: 'x' } } },
      'servers.a__b: server name must not contain (or end with part of) the naming separator "__"',
    ],
    [{ servers: { a_: { command: 'x' } } }, 'servers.a_: server name must not contain (or end with part of)'],
    [
      { servers: { f: { command: 'x', timeout: '5 parsecs' } } },
      'servers.f.timeout: invalid duration "5 parsecs"',
    ],
    [{ listen: { port: 70000 } }, 'listen.port: Too big: expected number to be <=65535'],
    [
      { listen: { host: '0.0.0.0' } },
      'listen.host: 0.0.0.0 is not a loopback address; configure auth.tokens to listen on it',
    ],
    [
      { auth: { tokens: [{ token_env: 'NOPE', principal: 'a' }] } },
      'auth.tokens[0].token_env: environment variable NOPE is not set',
    ],
  ])('names the path of each error: %j', (raw, expected) => {
    expect(errorsOf(raw).join('\n')).toContain(expected);
  });

  it('reports every error at once, not just the first', () => {
    const errors = errorsOf({ listen: { port: -1 }, servers: { f: {} }, bogus: 1 });
    expect(errors.length).toBeGreaterThanOrEqual(3);
  });

  it('reads YAML with line and column on syntax errors, and JSON', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'listen:\n  host: 127.0.0.1\n   port: 1\n');
    await expect(loadConfigFile(bad)).rejects.toThrow(/bad\.yaml:\d+:\d+: /);
    const json = join(dir, 'ok.json');
    writeFileSync(json, JSON.stringify({ data_dir: 'state' }));
    const c = await loadConfigFile(json);
    expect(c.data_dir).toBe(join(dir, 'state'));
  });

  it('fails with CONFIG_READ for a missing file', async () => {
    await expect(loadConfigFile(join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'CONFIG_READ' });
  });
});
