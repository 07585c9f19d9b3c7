import { createRequire } from 'node:module';

/** The package version, read once from package.json (dist/mcp/ and src/mcp/ are both two levels down). */
export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string })
  .version;
