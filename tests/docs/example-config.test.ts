import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/index.js';

describe('agentwall.example.yaml', () => {
  it('validates, and documents the keys of the issue', async () => {
    const c = await loadConfigFile(join(import.meta.dirname, '../../agentwall.example.yaml'));
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 8787 });
    expect(c.servers.files?.command).toBe('npx');
    expect(c.servers.files?.trust).toBe('trusted');
  });
});
