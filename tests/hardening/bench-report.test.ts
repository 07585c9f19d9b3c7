// `npm run bench` writes BENCHMARKS.md (bench/report.ts): each benchmark's section is replaced on its
// next run, sections of benchmarks that did not run stay, and the hand-written text above is kept.
import { describe, expect, it } from 'vitest';
import { updateDocument, type BenchRun } from '../../bench/report.js';

const run = (name: string, output: string[]): BenchRun => ({
  name,
  description: `the ${name} bench`,
  ok: true,
  startedAt: new Date('2026-11-25T12:00:00Z'),
  seconds: 3,
  output,
});

describe('BENCHMARKS.md sections', () => {
  it('adds, replaces and keeps sections, and keeps the hand-written text', () => {
    const hand = '# Benchmarks\n\nAnalysis written by hand.\n';
    const first = updateDocument(hand, [
      run('mcp', ['ratio 0.78×']),
      run('load', ['\u001b[32m615/s\u001b[39m']),
    ]);
    expect(first.startsWith(hand.trimEnd())).toBe(true);
    expect(first).toContain('ratio 0.78×');
    expect(first).toContain('615/s');
    expect(first).not.toContain('\u001b[');
    const second = updateDocument(first, [run('mcp', ['ratio 0.81×'])]);
    expect(second).toContain('ratio 0.81×');
    expect(second).not.toContain('ratio 0.78×');
    expect(second).toContain('615/s');
    expect(second.match(/bench:mcp:begin/g)).toHaveLength(1);
    expect(second).toContain('Analysis written by hand.');
  });
});
