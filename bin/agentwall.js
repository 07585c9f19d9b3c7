#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the `prepare` script).
import { main } from '../dist/cli/main.js';

/**
 * Exits once stdout and stderr have written out everything queued: a pipe (`agentwall audit export |
 * …`) is asynchronous in Node, and process.exit() at once would cut the output at 64 KiB.
 */
function exit(code) {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(exit, (err) => {
  process.stderr.write(`agentwall: ${err instanceof Error ? err.message : String(err)}\n`);
  exit(1);
});
