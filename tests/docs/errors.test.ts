import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';

const doc = readFileSync(join(import.meta.dirname, '../../docs/errors.md'), 'utf8');
const documented = new Set([...doc.matchAll(/^\|\s*`([A-Z_]+)`\s*\|/gm)].map((m) => m[1]));

describe('docs/errors.md', () => {
  it('documents every error code', () => {
    const missing = Object.values(ErrorCode).filter((c) => !documented.has(c));
    expect(missing).toEqual([]);
  });
  it('documents no code that does not exist', () => {
    const known = new Set<string>(Object.values(ErrorCode));
    expect([...documented].filter((c) => c !== undefined && !known.has(c))).toEqual([]);
  });
});
