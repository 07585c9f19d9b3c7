import { readdirSync, readFileSync } from 'node:fs';

/** A process as /proc names it; the start time tells a process from a later one given the same pid. */
export interface ProcessId {
  readonly pid: number;
  readonly startTime: string;
}

interface ProcStat extends ProcessId {
  readonly ppid: number;
  readonly isZombie: boolean;
}

/** Fields of /proc/<pid>/stat (proc(5)); the name in parentheses may itself hold spaces and ')'. */
function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state(3) ppid(4) … starttime(22), so index = field number - 3.
  const startTime = fields[19];
  if (startTime === undefined) return undefined;
  return { pid, ppid: Number(fields[1]), startTime, isZombie: fields[0] === 'Z' };
}

/**
 * `root` and every process below it, found through /proc (Linux). Elsewhere it returns nothing and the
 * benchmark relies on each process stopping its own children.
 */
export function listProcessTree(root: number): ProcessId[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const children = new Map<number, ProcStat[]>();
  for (const entry of entries) {
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(stat);
    else children.set(stat.ppid, [stat]);
  }
  const rootStat = readStat(root);
  if (!rootStat) return [];
  const found: ProcessId[] = [{ pid: root, startTime: rootStat.startTime }];
  for (let queue = [root]; queue.length > 0;) {
    const next = queue.flatMap((pid) => children.get(pid) ?? []);
    found.push(...next.map(({ pid, startTime }) => ({ pid, startTime })));
    queue = next.map((p) => p.pid);
  }
  return found;
}

/** Kills those of `processes` still running as the same process; returns how many it signalled. */
export function killSurvivors(processes: readonly ProcessId[], signal: NodeJS.Signals = 'SIGKILL'): number {
  let killed = 0;
  for (const p of processes) {
    const now = readStat(p.pid);
    if (!now || now.isZombie || now.startTime !== p.startTime) continue;
    try {
      process.kill(p.pid, signal);
      killed += 1;
    } catch {
      // It exited between the check and the signal.
    }
  }
  return killed;
}
