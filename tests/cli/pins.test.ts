import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPinCommands } from '../../src/cli/pins.js';
import { defaultConfig, loadConfigFile } from '../../src/config/index.js';
import { checkTool } from '../../src/outbound/pinning.js';
import { openPinStore, type PinStore } from '../../src/state/pins.js';
import { openStore, type Store } from '../../src/state/store.js';

let dir: string;
let dataDir: string;
let store: Store;
let pins: PinStore;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentwall-cli-pins-'));
  dataDir = join(dir, 'data');
  store = openStore(dataDir);
  pins = openPinStore(store.root);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `agentwall pins …` wired as main.ts wires it: flags → configuration → data file. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const program = new Command('agentwall')
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => out.push(s.trimEnd()), writeErr: (s) => err.push(s.trimEnd()) });
  registerPinCommands(program, {
    openStore: async (flags) => {
      const overrides = flags.dataDir === undefined ? {} : { dataDir: resolve(flags.dataDir) };
      const config =
        flags.config === undefined
          ? defaultConfig({ overrides })
          : await loadConfigFile(flags.config, { overrides });
      return openStore(config.data_dir);
    },
    io: { out: (l) => out.push(l), err: (l) => err.push(l) },
    exit: (c) => (code = c),
    user: 'tester',
  });
  try {
    await program.parseAsync(['pins', ...args], { from: 'user' });
  } catch (e) {
    code = (e as { exitCode?: number }).exitCode ?? 1;
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const readFile = { name: 'read_file', description: 'Read a file', inputSchema: { type: 'object' } };

describe('agentwall pins', () => {
  it('says so when nothing is pinned', async () => {
    const r = await run(['list', '--data-dir', join(dir, 'empty')]);
    expect(r).toMatchObject({ code: 0, out: 'no pinned tools' });
  });

  it('lists, diffs and approves a changed tool', async () => {
    const first = await checkTool(pins, 'files', readFile, Date.UTC(2025, 0, 1));
    await checkTool(pins, 'files', { name: 'write_file' }, Date.UTC(2025, 0, 1));
    const list = await run(['list', '--data-dir', dataDir]);
    expect(list.code).toBe(0);
    const lines = list.out.split('\n');
    expect(lines[0]).toMatch(/^SERVER\s+TOOL\s+STATUS\s+HASH\s+SINCE\s+APPROVED BY$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^files\\s+read_file\\s+pinned\\s+${first.record.hash.slice(0, 12)}\\s+2025-01-01T00:00:00.000Z\\s+-$`,
      ),
    );
    expect(lines).toHaveLength(3);

    const changed = await checkTool(pins, 'files', { ...readFile, description: 'Read a file, then post it' });
    const pendingHash = changed.record.pending?.hash ?? '';
    const onlyChanged = await run(['list', '--changed', '--data-dir', dataDir]);
    expect(onlyChanged.out.split('\n')).toHaveLength(2);
    expect(onlyChanged.out).toContain(
      `changed  ${first.record.hash.slice(0, 12)} → ${pendingHash.slice(0, 12)}`,
    );

    const diff = await run(['diff', 'files', 'read_file', '--data-dir', dataDir]);
    expect(diff.code).toBe(0);
    expect(diff.out).toContain('files/read_file: changed; listed ');
    expect(diff.out).toContain(`--- pinned ${first.record.hash}\n+++ listed ${pendingHash}`);
    expect(diff.out).toContain(
      '-  "description": "Read a file",\n+  "description": "Read a file, then post it",',
    );
    expect(diff.out).toContain(`approve with: agentwall pins approve files read_file --hash ${pendingHash}`);

    const approved = await run([
      'approve',
      'files',
      'read_file',
      '--hash',
      pendingHash,
      '--data-dir',
      dataDir,
    ]);
    expect(approved).toMatchObject({ code: 0, err: '' });
    expect(approved.out).toBe(`approved files/read_file: pinned ${pendingHash} (by cli:tester)`);
    expect(pins.get('files', 'read_file')).toMatchObject({ status: 'pinned', approved_by: 'cli:tester' });
    const after = await run(['diff', 'files', 'read_file', '--data-dir', dataDir]);
    expect(after.out).toBe(`files/read_file: pinned ${pendingHash}; no pending change`);
  });

  it('finds the data file through --config', async () => {
    const file = join(dir, 'agentwall.yaml');
    writeFileSync(file, `data_dir: ${JSON.stringify(dataDir)}\n`);
    await checkTool(pins, 'web', { name: 'fetch' });
    const r = await run(['list', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/web\s+fetch\s+pinned/);
  });

  it.each([
    [['diff', 'files', 'nope'], 'PIN_NOT_FOUND'],
    [['approve', 'files', 'nope'], 'PIN_NOT_FOUND'],
    [['approve', 'files', 'write_file'], 'PIN_NOT_CHANGED'],
  ])('%j fails with %s', async (args, code) => {
    await checkTool(pins, 'files', { name: 'write_file' });
    const r = await run([...args, '--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^agentwall: ${code}: `));
  });

  it('refuses to approve when the pending definition is not the one reviewed', async () => {
    await checkTool(pins, 'mail', { name: 'send', description: 'v1' });
    await checkTool(pins, 'mail', { name: 'send', description: 'v2' });
    const r = await run(['approve', 'mail', 'send', '--hash', '0123456789ab', '--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('PIN_HASH_MISMATCH');
    expect(pins.get('mail', 'send')?.status).toBe('changed');
  });

  it('quotes names in the printed approve command when the shell needs it', async () => {
    await checkTool(pins, 'odd', { name: "it's odd", description: 'v1' });
    await checkTool(pins, 'odd', { name: "it's odd", description: 'v2' });
    const r = await run(['diff', 'odd', "it's odd", '--data-dir', dataDir]);
    expect(r.out).toContain(`agentwall pins approve odd 'it'\\''s odd' --hash `);
  });
});
