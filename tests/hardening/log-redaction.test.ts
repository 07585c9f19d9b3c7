// The CLI logger's redaction (src/cli/logger.ts), on the shapes agentwall and its libraries log: a
// request's headers, an error carrying the headers of the request that failed, a token or API key field.
// Each secret must be censored; the rest of the line must stay (so the test would see a dropped line).
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/cli/logger.js';

const SECRET = 'sk-live-0123456789abcdef';

function capture(): { log: pino.Logger; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: pino(loggerOptions('debug'), sink), text: () => chunks.join('') };
}

const CASES: readonly [string, Record<string, unknown>][] = [
  ['authorization', { authorization: `Bearer ${SECRET}` }],
  ['token', { token: SECRET }],
  ['api_key', { api_key: SECRET }],
  ['apiKey', { apiKey: SECRET }],
  ['admin_token', { admin_token: SECRET }],
  ['headers', { headers: { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET } }],
  ['req.headers', { req: { method: 'POST', url: '/mcp', headers: { authorization: `Bearer ${SECRET}` } } }],
  ['res.headers', { res: { statusCode: 401, headers: { 'set-cookie': SECRET } } }],
  [
    'err.headers',
    { err: Object.assign(new Error('upstream refused'), { headers: { authorization: SECRET } }) },
  ],
  [
    'err.request.headers',
    { err: Object.assign(new Error('fetch failed'), { request: { headers: { authorization: SECRET } } }) },
  ],
  ['config.auth', { config: { auth: { tokens: [{ token: SECRET }] } } }],
  ['upstream.headers', { upstream: { name: 'remote', headers: { authorization: SECRET } } }],
];

describe('log redaction', () => {
  it.each(CASES)('censors %s', (_name, fields) => {
    const { log, text } = capture();
    log.info({ ...fields, marker: 'kept' }, 'a line');
    expect(text()).toContain('"marker":"kept"');
    expect(text()).toContain('[redacted]');
    expect(text()).not.toContain(SECRET);
  });
});
