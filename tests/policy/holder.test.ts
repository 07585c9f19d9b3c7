import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyHolder, type ReloadResult } from '../../src/policy/holder.js';

const dir = mkdtempSync(join(tmpdir(), 'agentwall-holder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rule = (id: string, when = 'true') =>
  `rules:\n  - { id: ${id}, on: tool_call, when: '${when}', action: deny }\n`;

describe('PolicyHolder', () => {
  it('refuses to start on a bundle that does not compile', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, rule('bad', 'args.x =='));
    await expect(PolicyHolder.load({ files: [file] })).rejects.toMatchObject({ code: 'POLICY_COMPILE' });
  });

  it('reloads on a file change, keeps the old policy when the new one is bad, and takes a good one', async () => {
    const file = join(dir, 'watched.yaml');
    writeFileSync(file, rule('first'));
    const results: ReloadResult[] = [];
    let notify: () => void = () => undefined;
    const holder = await PolicyHolder.load({
      files: [file],
      onReload: (r) => {
        results.push(r);
        notify();
      },
    });
    const nextReload = () => new Promise<void>((resolve) => (notify = resolve));
    holder.watch();
    try {
      const first = holder.current().revision;
      let reloaded = nextReload();
      writeFileSync(file, rule('broken', 'args.x =='));
      await reloaded;
      expect(results.at(-1)).toMatchObject({ ok: false, revision: first });
      expect(holder.current().rules.map((r) => r.id)).toEqual(['first']);

      reloaded = nextReload();
      writeFileSync(file, rule('second'));
      await reloaded;
      expect(results.at(-1)).toMatchObject({ ok: true, changed: true });
      expect(holder.current().rules.map((r) => r.id)).toEqual(['second']);
      expect(holder.current().revision).not.toBe(first);
    } finally {
      holder.close();
    }
  });
});
