import { describe, expect, it } from 'vitest';
import { jsonRpcProblem, idOf } from '../../../src/mcp/http/body.js';
import { allowedHostnames, checkBearer, checkHost, checkOrigin } from '../../../src/mcp/http/checks.js';

const loopback = allowedHostnames('127.0.0.1', [], true);

describe('checkHost (DNS-rebinding protection)', () => {
  it.each([
    ['127.0.0.1:8787', true],
    ['localhost:8787', true],
    ['[::1]:8787', true],
    ['LOCALHOST', true],
    ['evil.example:8787', false],
    ['127.0.0.1.nip.io:8787', false],
    [undefined, false],
    ['', false],
  ])('%s → %s', (host, ok) => {
    expect(checkHost(host, loopback).ok).toBe(ok);
  });

  it('accepts configured extra hosts only', () => {
    const names = allowedHostnames('0.0.0.0', ['agentwall.internal:443'], false);
    expect(checkHost('agentwall.internal', names).ok).toBe(true);
    expect(checkHost('localhost:8787', names).ok).toBe(false);
  });
});

describe('checkOrigin', () => {
  it.each([
    [undefined, true],
    ['http://localhost:3000', true],
    ['http://127.0.0.1', true],
    ['https://evil.example', false],
    ['null', false],
    ['https://app.example', true],
  ])('%s → %s', (origin, ok) => {
    expect(checkOrigin(origin, new Set(['https://app.example']), loopback).ok).toBe(ok);
  });
});

describe('checkBearer', () => {
  const tokens = [
    { token: 'token-of-alice-0123456789', principal: 'alice', roles: ['dev'] },
    { token: 'token-of-bob-0123456789ab', principal: 'bob', roles: [] },
  ];
  it('maps each token to its principal', () => {
    expect(checkBearer('Bearer token-of-bob-0123456789ab', tokens)).toMatchObject({
      ok: true,
      principal: { id: 'bob' },
    });
    expect(checkBearer('bearer token-of-alice-0123456789', tokens)).toMatchObject({
      ok: true,
      principal: { id: 'alice', roles: ['dev'] },
    });
  });
  it.each([
    [undefined, 'missing_token'],
    ['Basic abc', 'missing_token'],
    ['Bearer ', 'missing_token'],
    ['Bearer token-of-alice-012345678', 'invalid_token'],
    ['Bearer token-of-alice-01234567890', 'invalid_token'],
  ])('%s → %s', (header, code) => {
    expect(checkBearer(header, tokens)).toMatchObject({ ok: false, code });
  });
});

describe('jsonRpcProblem', () => {
  it.each([
    [{ jsonrpc: '2.0', id: 1, method: 'ping' }, undefined],
    [{ jsonrpc: '2.0', method: 'notifications/initialized' }, undefined],
    [{ jsonrpc: '2.0', id: 'x', result: {} }, undefined],
    [[{ jsonrpc: '2.0', id: 1, method: 'ping' }], undefined],
    [{ jsonrpc: '1.0', id: 1, method: 'ping' }, '"jsonrpc" must be "2.0"'],
    [{ jsonrpc: '2.0', id: {}, method: 'ping' }, '"id" must be a string or an integer'],
    // The MCP SDK drops these silently; refused here so the client gets an answer (issue 9's fuzzers).
    [{ jsonrpc: '2.0', id: 1.5, method: 'ping' }, '"id" must be a string or an integer'],
    [{ jsonrpc: '2.0', id: 1, method: 'x', params: [1] }, '"params" must be an object'],
    [{ jsonrpc: '2.0', id: 1, method: 'x', extra: 1 }, 'unexpected member "extra"'],
    [{ jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: 1 } }, '"params._meta" must be an object'],
    [{ jsonrpc: '2.0', id: 1, result: 5 }, '"result" must be an object'],
    [
      { jsonrpc: '2.0', id: 1, error: { code: 'x' } },
      '"error" must be an object with an integer "code" and a string "message"',
    ],
    [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'x',
        params: { a: JSON.parse('['.repeat(200) + ']'.repeat(200)) as unknown },
      },
      'nested deeper than 100 levels',
    ],
    [{ jsonrpc: '2.0', id: 1, method: 7 }, '"method" must be a string'],
    [{ jsonrpc: '2.0', id: 1, method: 'x', params: 'no' }, '"params" must be an object'],
    [{ jsonrpc: '2.0', id: 1 }, 'neither a request, a notification nor a response'],
    [[], 'empty batch'],
    [[{ jsonrpc: '2.0', id: 1, method: 'ping' }, 5], 'message 1: not a JSON object'],
    ['text', 'not a JSON object'],
    [null, 'not a JSON object'],
  ])('%j → %s', (body, problem) => {
    expect(jsonRpcProblem(body)).toBe(problem);
  });
  it('echoes a usable id only', () => {
    expect(idOf({ id: 7 })).toBe(7);
    expect(idOf({ id: { x: 1 } })).toBeNull();
    expect(idOf([{ id: 1 }])).toBeNull();
  });
});
