import { describe, expect, it } from 'vitest';
import { serverNameFor } from '../../src/cli/server-name.js';

describe('serverNameFor', () => {
  it.each([
    [['npx', '-y', '@modelcontextprotocol/server-filesystem', '/tmp'], 'server-filesystem'],
    [['npx', '-y', '@modelcontextprotocol/server-everything@2026.1.1'], 'server-everything'],
    [['uvx', 'mcp-server-fetch'], 'mcp-server-fetch'],
    [['node', '/opt/servers/weather.js'], 'weather'],
    [['/usr/local/bin/my server'], 'my-server'],
    [
      ['node', 'node_modules/@modelcontextprotocol/server-everything/dist/index.js', 'stdio'],
      'server-everything',
    ],
    [['python3', '/srv/weather/src/main.py'], 'weather'],
    [['npx'], 'upstream'],
  ])('%j → %s', (command, name) => {
    expect(serverNameFor(command)).toBe(name);
  });
});
