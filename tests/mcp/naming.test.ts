import { describe, expect, it } from 'vitest';
import { urlOf } from '../../src/mcp/handlers/tool-call.js';
import { createNaming, decodeCursor, encodeCursor, owns } from '../../src/mcp/naming.js';

describe('naming', () => {
  const n = createNaming(['files', 'web-search'], '__', 'auto');

  it('prefixes and parses names and URIs with several servers', () => {
    expect(n.isPrefixed).toBe(true);
    expect(n.publicName('files', 'read_text_file')).toBe('files__read_text_file');
    expect(n.parseName('files__read_text_file')).toEqual({ server: 'files', name: 'read_text_file' });
    expect(n.parseName('web-search__a__b')).toEqual({ server: 'web-search', name: 'a__b' });
    expect(n.publicUri('files', 'file:///tmp/a.txt')).toBe('files+file:///tmp/a.txt');
    expect(n.parseUri('files+file:///tmp/a+b.txt')).toEqual({ server: 'files', uri: 'file:///tmp/a+b.txt' });
  });

  it.each(['read_text_file', '__x', 'other__x', ''])('refuses %j, which names no known server', (name) => {
    expect(n.parseName(name)).toBeUndefined();
  });

  it('never maps two (server, name) pairs to the same public name, for names the schema accepts', () => {
    // `a_` is refused by the config schema with separator `__` (it would make `a___x` ambiguous).
    const servers = ['a', 'a-', 'b', 'a-b', 'a_b'];
    const naming = createNaming(servers, '__', 'always');
    const names = ['x', '_x', 'b__x', '__', 'a'];
    const seen = new Map<string, string>();
    for (const s of servers) {
      for (const t of names) {
        const pub = naming.publicName(s, t);
        expect(seen.get(pub), `${pub} from ${s}/${t}`).toBeUndefined();
        seen.set(pub, `${s}/${t}`);
        expect(naming.parseName(pub)).toEqual({ server: s, name: t });
      }
    }
  });

  it('passes names through unchanged with one server in auto mode', () => {
    const one = createNaming(['everything'], '__', 'auto');
    expect(one.isPrefixed).toBe(false);
    expect(one.publicName('everything', 'echo')).toBe('echo');
    expect(one.parseName('echo')).toEqual({ server: 'everything', name: 'echo' });
    expect(one.parseUri('test://x')).toEqual({ server: 'everything', uri: 'test://x' });
    expect(createNaming(['everything'], '__', 'always').publicName('everything', 'echo')).toBe(
      'everything__echo',
    );
  });

  it('round-trips cursors and rejects forged ones with INVALID_CURSOR', () => {
    expect(decodeCursor(encodeCursor({ server: 'files', cursor: 'abc' }))).toEqual({
      server: 'files',
      cursor: 'abc',
    });
    expect(decodeCursor(encodeCursor({ server: 'files' }))).toEqual({ server: 'files' });
    for (const bad of ['', 'not base64 json', Buffer.from('{"a":1}').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
    }
  });
});

describe('built-in servers in the naming', () => {
  const builtin = { server: 'memory', tools: ['memory_write', 'memory_read'] };

  it('do not count for auto prefixing: one upstream keeps its names, built-in tools keep theirs', () => {
    const n = createNaming(['files'], '__', 'auto', [builtin]);
    expect(n.isPrefixed).toBe(false);
    expect(n.publicName('files', 'read_text_file')).toBe('read_text_file');
    expect(n.parseName('read_text_file')).toEqual({ server: 'files', name: 'read_text_file' });
    expect(n.publicName('memory', 'memory_write')).toBe('memory_write');
    expect(n.parseName('memory_write')).toEqual({ server: 'memory', name: 'memory_write' });
  });

  it('keep their names when the upstreams are prefixed', () => {
    const n = createNaming(['files', 'web'], '__', 'always', [builtin]);
    expect(n.publicName('files', 'read')).toBe('files__read');
    expect(n.publicName('memory', 'memory_read')).toBe('memory_read');
    expect(n.parseName('memory_read')).toEqual({ server: 'memory', name: 'memory_read' });
    expect(n.parseName('memory__memory_read')).toBeUndefined();
  });

  it('shadow an upstream tool of the same public name, which `owns` then reports as unreachable', () => {
    const n = createNaming(['kg'], '__', 'auto', [builtin]);
    expect(owns(n, 'kg', n.publicName('kg', 'memory_read'))).toBe(false);
    expect(owns(n, 'kg', n.publicName('kg', 'create_entities'))).toBe(true);
    expect(owns(n, 'memory', n.publicName('memory', 'memory_read'))).toBe(true);
  });
});

describe('urlOf (the web source of a tool result)', () => {
  it('takes the first http(s) URL among url, uri, href and link', () => {
    expect(urlOf({ url: 'https://example.com/a', uri: 'http://b' })).toEqual({
      url: 'https://example.com/a',
    });
    expect(urlOf({ href: 'HTTP://x.example/' })).toEqual({ url: 'HTTP://x.example/' });
    expect(urlOf({ url: 'file:///etc/passwd' })).toEqual({});
    expect(urlOf({ url: 42, path: '/tmp/a' })).toEqual({});
    expect(urlOf({ url: `https://x.example/${'a'.repeat(3000)}` })).toEqual({});
  });
});
