import { Buffer } from 'node:buffer';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretKindOf } from '../../src/inbound/detect/secret-generic.js';
import { detectSecrets } from '../../src/inbound/detect/secrets.js';

/**
 * Tokens are made at run time from a seeded generator: the repository holds no string that a secret
 * scanner (or a push protection) would take for a live credential.
 */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const next = rng(7);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const pick = (alphabet: string, n: number): string =>
  Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
const alnum = (n: number) => pick(ALNUM, n);
const upperDigits = (n: number) => pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', n);
const hex = (n: number) => pick('0123456789abcdef', n);
const b64url = (s: string) => Buffer.from(s).toString('base64url');

const jwt = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url('{"sub":"1234567890","name":"Jane","iat":1516239022}')}.${alnum(43)}`;
const pemBody = Array.from({ length: 6 }, () => pick(`${ALNUM}+/`, 64)).join('\n');

const CASES: [string, string, string][] = [
  ['aws_access_key', `aws_access_key_id = AKIA${upperDigits(16)}`, ''],
  ['aws_secret_key', `aws_secret_access_key = ${pick(`${ALNUM}/+`, 40)}`, ''],
  ['github_token', `token: ghp_${alnum(36)}`, ''],
  ['github_token', `GH_TOKEN=github_pat_${alnum(22)}_${alnum(59)}`, ''],
  ['gitlab_token', `export GITLAB_TOKEN=glpat-${alnum(20)}`, ''],
  [
    'slack_token',
    `SLACK_BOT_TOKEN=xoxb-${pick('0123456789', 12)}-${pick('0123456789', 13)}-${alnum(24)}`,
    '',
  ],
  [
    'slack_webhook',
    `https://hooks.slack.com/services/T${upperDigits(8)}/B${upperDigits(8)}/${alnum(24)}`,
    '',
  ],
  ['stripe_key', `stripe.api_key = "sk_live_${alnum(24)}"`, ''],
  ['google_api_key', `key=AIza${pick(`${ALNUM}_-`, 35)}`, ''],
  ['openai_api_key', `OPENAI_API_KEY=sk-proj-${alnum(48)}`, ''],
  ['openai_api_key', `client = OpenAI(api_key="sk-${alnum(48)}")`, ''],
  ['anthropic_api_key', `ANTHROPIC_API_KEY=sk-ant-api03-${pick(`${ALNUM}_-`, 93)}AA`, ''],
  ['jwt', `Authorization: Bearer ${jwt}`, ''],
  ['private_key', `-----BEGIN RSA PRIVATE KEY-----\n${pemBody}\n-----END RSA PRIVATE KEY-----`, ''],
  ['private_key', `-----BEGIN OPENSSH PRIVATE KEY-----\n${pemBody}\n`, 'no END line'],
  ['npm_token', `//registry.npmjs.org/:_authToken=npm_${alnum(36)}`, ''],
  ['twilio_api_key', `TWILIO_API_KEY=SK${hex(32)}`, ''],
  ['sendgrid_api_key', `SENDGRID_API_KEY=SG.${alnum(22)}.${alnum(43)}`, ''],
  [
    'azure_storage_key',
    `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${pick(`${ALNUM}+/`, 86)}==;EndpointSuffix=core.windows.net`,
    '',
  ],
  ['bearer_token', `curl -H "Authorization: Bearer ${alnum(40)}" https://api.example.com`, ''],
  ['password_assignment', `DB_PASSWORD=${alnum(6)}#${alnum(6)}`, ''],
  ['password_assignment', `{"username": "svc", "password": "${alnum(10)}!${alnum(3)}"}`, ''],
  ['password_assignment', `My login is a@b.io and the password is ${alnum(9)}$${alnum(3)}.`, 'prose'],
  ['generic_secret', `client_secret: "${alnum(32)}"`, ''],
  ['generic_secret', `const apiKey = '${alnum(20)}';`, ''],
];

describe('detectSecrets true positives', () => {
  it.each(CASES)('%s: %s', (type, text) => {
    const found = detectSecrets(text);
    expect(found.map((f) => f.type)).toContain(type);
  });

  it('never puts the secret in detail, and spans cover the value only', () => {
    for (const [, text] of CASES) {
      for (const f of detectSecrets(text)) {
        const value = text.slice(f.span.start, f.span.end);
        expect(f.detail ?? '').not.toContain(value);
        expect(value.length).toBeGreaterThanOrEqual(8);
      }
    }
    const f = detectSecrets(`DB_PASSWORD=${'Xk9#fQ2pLm7'}`)[0];
    expect(f).toMatchObject({
      type: 'password_assignment',
      detail: 'DB_PASSWORD',
      span: { start: 12, end: 23 },
    });
  });
});

describe('detectSecrets precision', () => {
  it.each([
    'password = process.env.DB_PASSWORD',
    'const token = tokens[i];',
    'password: string; token?: string; apiKey: ApiKey',
    'api_key = "<your-api-key>"',
    'secret: ${SECRET_VALUE}',
    'OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    'GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
    'password = "changeme123"',
    'token_type: "bearer_access_token_value_long"',
    'password_length = 1234567890123',
    'if (password === confirmPassword) return;',
    '--pass-arg=asyncify-imports@env.await_promise_sync',
    'const { token } = await getToken(options.credentials);',
    'Authorization: Bearer <token>',
    '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----',
    'The password is required and the token is expired.',
    'integrity: "sha512-zY9iS7lmSXT/NJb+1IGDVZw0kYmzN/ZsE72o7m9gB9NJf54qNF6Vae5FbRsjYzqtcNM0hJt8CR5+tcKOt+/DHw=="',
    'monkey = "AbCdEfGhIjKlMnOpQrStUvWx123456"',
    'eyJub3QiOiJhIGp3dCJ9.eyJzdWIiOiIxIn0.abc',
  ])('no finding in %s', (text) => {
    expect(detectSecrets(text)).toEqual([]);
  });

  it.each([
    ['DB_PASSWORD', 'password'],
    ['db.pass', 'password'],
    ['clientSecret', 'secret'],
    ['x-api-key', 'secret'],
    ['AWS_SECRET_ACCESS_KEY', 'secret'],
    ['tokenizer', undefined],
    ['secretName', undefined],
    ['password_min_length', undefined],
    ['author', undefined],
  ])('secretKindOf(%s) = %s', (name, kind) => {
    expect(secretKindOf(name)).toBe(kind);
  });

  it('finds no generic high-entropy secrets in real source files and READMEs', () => {
    const js = filesUnder(join(process.cwd(), 'node_modules'), /\.js$/, 400);
    const docs = filesUnder(join(process.cwd(), 'node_modules'), /^README\.md$/i, 300);
    const count = (files: string[]) => {
      const counts = new Map<string, number>();
      for (const file of files) {
        for (const f of detectSecrets(readFileSync(file, 'utf8')))
          counts.set(f.type, (counts.get(f.type) ?? 0) + 1);
      }
      return counts;
    };
    expect(js.length).toBeGreaterThan(300);
    expect([...count(js)]).toEqual([]);
    // Measured: two hits, both the example token `'127e6fbfe24a750e72930c'` in tsscmp's README.
    const inDocs = count(docs);
    expect(inDocs.get('generic_secret') ?? 0).toBeLessThanOrEqual(2);
    expect([...inDocs.keys()].filter((k) => k !== 'generic_secret')).toEqual([]);
  });
});

function filesUnder(dir: string, pattern: RegExp, limit: number): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const entry of entries) {
      if (out.length >= limit) return;
      const path = join(d, entry);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat?.isDirectory() === true) walk(path);
      else if (stat !== undefined && pattern.test(entry) && stat.size >= 1024 && stat.size <= 64 * 1024)
        out.push(path);
    }
  };
  walk(dir);
  return out;
}
