// Every requirement in requirements.ts is checked by some e2e test (`covers(id)` in its body), and every
// id a test cites is a listed requirement.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REQUIREMENTS } from './requirements.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

function citedIds(): Map<string, string[]> {
  const cited = new Map<string, string[]>();
  const tests = readdirSync(HERE).filter((f) => f.endsWith('.test.ts') && f !== 'requirements.test.ts');
  for (const file of tests) {
    const source = readFileSync(join(HERE, file), 'utf8');
    for (const call of source.matchAll(/\bcovers\(([^)]*)\)/g)) {
      for (const id of (call[1] ?? '').matchAll(/'([^']+)'/g)) {
        const key = id[1] as string;
        cited.set(key, [...(cited.get(key) ?? []), file]);
      }
    }
  }
  return cited;
}

describe('e2e requirements', () => {
  const cited = citedIds();

  it.each(Object.keys(REQUIREMENTS))('%s is checked by a test', (id) => {
    expect(cited.get(id) ?? [], `no e2e test calls covers('${id}')`).not.toEqual([]);
  });

  it('cites only listed requirements', () => {
    const unknown = [...cited.keys()].filter((id) => !(id in REQUIREMENTS));
    expect(unknown).toEqual([]);
  });
});
