// A second process deciding an approval, as `agentwall approvals approve|deny ID` from a shell does:
// `node --import tsx decide-worker.ts DIR approve|deny ID`. Exits with the command's status.
import { Command } from 'commander';
import { registerApprovalCommands } from '../../src/cli/approvals.js';
import { openStore } from '../../src/state/store.js';

const [dir, verb, id] = process.argv.slice(2);
let code = 0;
const program = new Command('agentwall').exitOverride();
registerApprovalCommands(program, {
  openStore: (flags) => Promise.resolve(openStore(flags.dataDir ?? '')),
  io: { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) },
  exit: (c) => (code = c),
  user: 'worker',
});
await program.parseAsync(['approvals', verb ?? '', id ?? '', '--data-dir', dir ?? ''], { from: 'user' });
process.exitCode = code;
