import type { Scored } from './metrics.js';

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** ROC curve: (FPR, TPR) at every distinct score, from the strictest threshold to the loosest. */
export function rocCurve(items: readonly Scored[]): Point[] {
  const { sorted, positives, negatives } = ranked(items);
  const points: Point[] = [{ x: 0, y: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < sorted.length; i++) {
    const it = sorted[i] as Scored;
    if (it.positive) tp += 1;
    else fp += 1;
    if (i === sorted.length - 1 || sorted[i + 1]?.score !== it.score) {
      points.push({ x: negatives ? fp / negatives : 0, y: positives ? tp / positives : 0 });
    }
  }
  return points;
}

/** Precision–recall curve: (recall, precision) at every distinct score. */
export function prCurve(items: readonly Scored[]): Point[] {
  const { sorted, positives } = ranked(items);
  const points: Point[] = [];
  let tp = 0;
  let flagged = 0;
  for (let i = 0; i < sorted.length; i++) {
    const it = sorted[i] as Scored;
    flagged += 1;
    if (it.positive) tp += 1;
    if (i === sorted.length - 1 || sorted[i + 1]?.score !== it.score) {
      points.push({ x: positives ? tp / positives : 0, y: tp / flagged });
    }
  }
  return points;
}

function ranked(items: readonly Scored[]) {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const positives = sorted.filter((i) => i.positive).length;
  return { sorted, positives, negatives: sorted.length - positives };
}

/** A self-contained SVG line chart of a curve on the unit square (no external assets). */
export function svgCurve(points: readonly Point[], title: string, xLabel: string, yLabel: string): string {
  const W = 360;
  const H = 360;
  const M = 40;
  const sx = (x: number) => M + x * (W - 2 * M);
  const sy = (y: number) => H - M - y * (H - 2 * M);
  const path = points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
    .join(' ');
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (t) =>
        `<text x="${sx(t)}" y="${H - M + 14}" font-size="10" text-anchor="middle">${t}</text>` +
        `<text x="${M - 6}" y="${sy(t) + 3}" font-size="10" text-anchor="end">${t}</text>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" font-size="13" text-anchor="middle">${esc(title)}</text>`,
    `<rect x="${M}" y="${M}" width="${W - 2 * M}" height="${H - 2 * M}" fill="none" stroke="#999"/>`,
    ticks,
    `<text x="${W / 2}" y="${H - 8}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="12" y="${H / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${H / 2})">${esc(yLabel)}</text>`,
    `<path d="${path}" fill="none" stroke="#1f6feb" stroke-width="2"/>`,
    '</svg>',
  ].join('\n');
}
