// `naming.prefix: always` and a separator of one's own, with a single server: every tool and prompt is
// `server<sep>name` and every resource URI `server+uri`, and calls route back through those names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFront, type Front } from '../helpers/fronts.js';
import { resourceText, textOf } from '../helpers/results.js';
import { everythingServer } from '../helpers/servers.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { covers } from './requirements.js';

describe('naming: prefix always, separator "--"', () => {
  let tmp: TempDir;
  let front: Front;

  beforeAll(async () => {
    tmp = await makeTempDir();
    front = await openFront('stdio', {
      dir: tmp.path,
      config: { servers: { ev: everythingServer() }, naming: { prefix: 'always', separator: '--' } },
    });
  });

  afterAll(async () => {
    await front?.close();
    await tmp?.remove();
  });

  it('prefixes every name and URI of a single server, and routes them back', async () => {
    covers('naming.prefixed');
    const tools = (await front.client.listTools()).tools.map((t) => t.name);
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.every((name) => name.startsWith('ev--'))).toBe(true);
    expect(textOf(await front.client.callTool({ name: 'ev--echo', arguments: { message: 'x' } }))).toBe(
      'Echo: x',
    );

    const prompts = (await front.client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain('ev--simple-prompt');
    const resources = (await front.client.listResources()).resources.map((r) => r.uri);
    expect(resources.every((uri) => uri.startsWith('ev+demo://'))).toBe(true);
    const read = await front.client.readResource({ uri: 'ev+demo://resource/dynamic/text/1' });
    expect(resourceText(read.contents[0])).toMatch(/^Resource 1: /);

    // The unprefixed name is not a tool of this agentwall.
    await expect(front.client.callTool({ name: 'echo', arguments: { message: 'x' } })).rejects.toMatchObject({
      code: -32602,
    });
  });
});
