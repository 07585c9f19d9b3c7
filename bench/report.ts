// What `npm run bench` leaves in BENCHMARKS.md: for each benchmark that ran, the machine, the Node
// version, the date and everything it printed (its tables and every ratio against its baseline),
// between markers of its own, so that the hand-written analysis above them stays and a run of one
// benchmark replaces only that benchmark's section.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeMachine, machineInfo } from './lib/machine.js';
import { repoRoot } from './lib/paths.js';

export interface BenchRun {
  readonly name: string;
  readonly description: string;
  readonly ok: boolean;
  readonly startedAt: Date;
  readonly seconds: number;
  /** What the benchmark printed with console.log, in order. */
  readonly output: readonly string[];
}

export const BENCHMARKS_FILE = path.join(repoRoot, 'BENCHMARKS.md');

const BLOCK_BEGIN = '<!-- bench:latest:begin -->';
const BLOCK_END = '<!-- bench:latest:end -->';
const BLOCK_HEAD = `## Latest runs (written by \`npm run bench\`)

Each section below is replaced when its benchmark runs again; everything above is written by hand.`;

/** Terminal colour codes (ESC [ … m), which some benchmarks' libraries print. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

const begin = (name: string) => `<!-- bench:${name}:begin -->`;
const end = (name: string) => `<!-- bench:${name}:end -->`;

/** Collects console.log output while `run` runs, still printing it. */
export async function capturingLog<T>(run: () => Promise<T>): Promise<{ value: T; output: string[] }> {
  const output: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    output.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    original(...args);
  };
  try {
    return { value: await run(), output };
  } finally {
    console.log = original;
  }
}

/** One benchmark's section: heading, when and where it ran, its output verbatim. */
export function formatSection(run: BenchRun): string {
  const text = run.output.join('\n').replace(ANSI_COLOUR, '').trimEnd();
  // Blank lines around the heading and the fence, as Prettier formats Markdown (npm run check).
  return [
    begin(run.name),
    '',
    `### \`npm run bench -- ${run.name}\` — ${run.description}`,
    '',
    `${run.startedAt.toISOString()} · ${describeMachine(machineInfo())} · ` +
      `${run.ok ? 'completed' : '**failed**'} in ${run.seconds.toFixed(0)} s`,
    '',
    '```text',
    text === '' ? '(printed nothing)' : text,
    '```',
    '',
    end(run.name),
  ].join('\n');
}

/** `doc` with each run's section replaced (or added at the end of the generated block). */
export function updateDocument(doc: string, runs: readonly BenchRun[]): string {
  let out = doc.includes(BLOCK_BEGIN)
    ? doc
    : `${doc.trimEnd()}\n\n${BLOCK_HEAD}\n\n${BLOCK_BEGIN}\n${BLOCK_END}\n`;
  for (const run of runs) {
    const section = formatSection(run);
    const from = out.indexOf(begin(run.name));
    const to = out.indexOf(end(run.name));
    if (from !== -1 && to > from) {
      out = out.slice(0, from) + section + out.slice(to + end(run.name).length);
    } else {
      const at = out.indexOf(BLOCK_END);
      out = `${out.slice(0, at)}${section}\n\n${out.slice(at)}`;
    }
  }
  return out;
}

export async function writeBenchmarksMd(runs: readonly BenchRun[], file = BENCHMARKS_FILE): Promise<void> {
  if (runs.length === 0) return;
  const doc = await readFile(file, 'utf8').catch(() => '# Benchmarks\n');
  await writeFile(file, updateDocument(doc, runs));
}
