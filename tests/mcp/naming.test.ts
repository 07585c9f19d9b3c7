import { describe, expect, it } from 'vitest';
import { createNaming, decodeCursor, encodeCursor } from '../../src/mcp/naming.js';

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
