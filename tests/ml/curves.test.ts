import { describe, expect, it } from 'vitest';
import { prCurve, rocCurve, svgCurve } from '../../src/ml/curves.js';

const items = [
  { score: 0.9, positive: true },
  { score: 0.8, positive: false },
  { score: 0.7, positive: true },
  { score: 0.1, positive: false },
];

describe('curves', () => {
  it('ROC steps through each distinct score', () => {
    expect(rocCurve(items)).toEqual([
      { x: 0, y: 0 },
      { x: 0, y: 0.5 },
      { x: 0.5, y: 0.5 },
      { x: 0.5, y: 1 },
      { x: 1, y: 1 },
    ]);
  });

  it('PR gives precision at each recall', () => {
    expect(prCurve(items)).toEqual([
      { x: 0.5, y: 1 },
      { x: 0.5, y: 0.5 },
      { x: 1, y: 2 / 3 },
      { x: 1, y: 0.5 },
    ]);
  });

  it('draws an SVG with the curve and escaped labels', () => {
    const svg = svgCurve(rocCurve(items), 'ROC <injection>', 'FPR', 'TPR');
    expect(svg).toContain('<path d="M');
    expect(svg).toContain('ROC &#60;injection&#62;');
    expect(svg).not.toContain('<injection>');
  });
});
