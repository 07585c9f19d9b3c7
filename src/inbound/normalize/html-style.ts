/**
 * Just enough CSS to tell whether an inline style hides text: `display:none`, `visibility:hidden`,
 * `opacity:0`, `font-size:0`, zero-size boxes with `overflow:hidden`, clipping, off-screen positioning,
 * and the colours needed for "same colour as the background". Not a CSS engine: stylesheets are only
 * read for single-class rules (see `hiddenClassesOf`).
 */

export type StyleHiding = 'css_hidden' | 'offscreen';

export interface StyleInfo {
  readonly hiding?: StyleHiding;
  /** [r, g, b, a] with a in [0, 1]. */
  readonly color?: Rgba;
  readonly background?: Rgba;
}

export type Rgba = readonly [number, number, number, number];

const NAMED: Readonly<Record<string, Rgba>> = {
  white: [255, 255, 255, 1],
  black: [0, 0, 0, 1],
  transparent: [0, 0, 0, 0],
  red: [255, 0, 0, 1],
  green: [0, 128, 0, 1],
  blue: [0, 0, 255, 1],
  yellow: [255, 255, 0, 1],
  gray: [128, 128, 128, 1],
  grey: [128, 128, 128, 1],
  silver: [192, 192, 192, 1],
  whitesmoke: [245, 245, 245, 1],
  snow: [255, 250, 250, 1],
  ivory: [255, 255, 240, 1],
};

export function parseInlineStyle(style: string): StyleInfo {
  const decls = new Map<string, string>();
  for (const part of style.slice(0, 4096).split(';')) {
    const colon = part.indexOf(':');
    if (colon <= 0) continue;
    const prop = part.slice(0, colon).trim().toLowerCase();
    const value = part
      .slice(colon + 1)
      .replace(/!\s*important/i, '')
      .trim()
      .toLowerCase();
    decls.set(prop, value);
  }
  const info: { hiding?: StyleHiding; color?: Rgba; background?: Rgba } = {};
  const hiding = hidingOf(decls);
  if (hiding !== undefined) info.hiding = hiding;
  const color = decls.get('color');
  if (color !== undefined) {
    const rgba = parseColor(color);
    if (rgba !== undefined) info.color = rgba;
  }
  const bg = decls.get('background-color') ?? decls.get('background');
  if (bg !== undefined) {
    const rgba = firstColorIn(bg);
    if (rgba !== undefined) info.background = rgba;
  }
  return info;
}

function hidingOf(decls: ReadonlyMap<string, string>): StyleHiding | undefined {
  const get = (p: string): string => decls.get(p) ?? '';
  if (get('display') === 'none') return 'css_hidden';
  if (get('visibility') === 'hidden' || get('visibility') === 'collapse') return 'css_hidden';
  if (decls.has('opacity') && isZeroish(get('opacity'), 0.02)) return 'css_hidden';
  if (decls.has('font-size') && isTinyFont(get('font-size'))) return 'css_hidden';
  const isOverflowHidden = /hidden|clip/.test(get('overflow'));
  for (const p of ['height', 'max-height', 'width', 'max-width']) {
    if (isOverflowHidden && decls.has(p) && isZeroish(get(p), 1)) return 'css_hidden';
  }
  if (/rect\(\s*0[a-z]*[\s,]+0[a-z]*[\s,]+0[a-z]*[\s,]+0/.test(get('clip'))) return 'css_hidden';
  if (/inset\(\s*50%|circle\(\s*0/.test(get('clip-path'))) return 'css_hidden';
  if (/scale\(\s*0(?:\.0*)?\s*[,)]/.test(get('transform'))) return 'css_hidden';
  const color = parseColor(get('color'));
  if (color !== undefined && color[3] < 0.05) return 'css_hidden';
  if (/absolute|fixed/.test(get('position'))) {
    for (const p of ['left', 'top', 'right']) if (isFarNegative(get(p))) return 'offscreen';
  }
  if (isFarNegative(get('text-indent')) || isFarNegative(get('margin-left'))) return 'offscreen';
  return undefined;
}

function isZeroish(value: string, limit: number): boolean {
  const n = Number.parseFloat(value);
  if (Number.isNaN(n)) return false;
  return value.trim().endsWith('%') ? n <= limit * 100 : n <= limit;
}

function isTinyFont(value: string): boolean {
  const n = Number.parseFloat(value);
  if (Number.isNaN(n)) return false;
  if (/(?:r?em|%)$/.test(value)) return value.endsWith('%') ? n < 10 : n < 0.1;
  return n < 2;
}

function isFarNegative(value: string): boolean {
  const n = Number.parseFloat(value);
  if (Number.isNaN(n)) return false;
  if (/(?:r?em|vw|vh)$/.test(value)) return n <= -50;
  return n <= -500;
}

function firstColorIn(value: string): Rgba | undefined {
  const m = /#[0-9a-f]{3,8}\b|rgba?\([^)]*\)|\b[a-z]+\b/g;
  let hit: RegExpExecArray | null;
  while ((hit = m.exec(value)) !== null) {
    const rgba = parseColor(hit[0]);
    if (rgba !== undefined) return rgba;
  }
  return undefined;
}

/** Parses `#rgb[a]`, `#rrggbb[aa]`, `rgb()`/`rgba()` (comma or space syntax) and a few names. */
export function parseColor(raw: string): Rgba | undefined {
  const value = raw.trim().toLowerCase();
  const named = NAMED[value];
  if (named !== undefined) return named;
  const hex = /^#([0-9a-f]{3,8})$/.exec(value)?.[1];
  if (hex !== undefined) return parseHex(hex);
  const fn = /^rgba?\(([^)]*)\)$/.exec(value)?.[1];
  if (fn === undefined) return undefined;
  const parts = fn.split(/[\s,/]+/).filter((p) => p !== '');
  if (parts.length < 3) return undefined;
  const channel = (p: string): number =>
    p.endsWith('%') ? (Number.parseFloat(p) * 255) / 100 : Number.parseFloat(p);
  const [r, g, b] = parts.slice(0, 3).map(channel);
  const aRaw = parts[3];
  const a =
    aRaw === undefined ? 1 : aRaw.endsWith('%') ? Number.parseFloat(aRaw) / 100 : Number.parseFloat(aRaw);
  if ([r, g, b, a].some((n) => n === undefined || Number.isNaN(n))) return undefined;
  return [r ?? 0, g ?? 0, b ?? 0, a];
}

function parseHex(hex: string): Rgba | undefined {
  const expand = hex.length <= 4 ? [...hex].map((c) => c + c).join('') : hex;
  if (expand.length !== 6 && expand.length !== 8) return undefined;
  const n = (i: number): number => Number.parseInt(expand.slice(i, i + 2), 16);
  return [n(0), n(2), n(4), expand.length === 8 ? n(6) / 255 : 1];
}

/** Colours a reader cannot tell apart (each channel within a few steps). */
export function isSameColor(a: Rgba, b: Rgba): boolean {
  return Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]) <= 24;
}

export const WHITE: Rgba = [255, 255, 255, 1];

/** Utility classes of common CSS frameworks (Bootstrap, Tailwind, WordPress) that hide an element. */
export const KNOWN_HIDDEN_CLASSES: ReadonlySet<string> = new Set([
  'hidden',
  'd-none',
  'invisible',
  'sr-only',
  'visually-hidden',
  'visuallyhidden',
  'screen-reader-text',
  'opacity-0',
]);

/** Single-class rules in a stylesheet (`.a, .b { display: none }`) that hide what they apply to. */
export function hiddenClassesOf(css: string, into: Set<string>): void {
  const text = css.length > 200_000 ? css.slice(0, 200_000) : css;
  let pos = 0;
  while (pos < text.length) {
    const open = text.indexOf('{', pos);
    if (open < 0) return;
    const close = text.indexOf('}', open);
    if (close < 0) return;
    const selectors = text.slice(Math.max(pos, open - 500), open);
    pos = close + 1;
    // A nested block (`@media … {`) leaves a `{` inside the body: skip the at-rule prelude.
    const body = text.slice(open + 1, close);
    const innerOpen = body.lastIndexOf('{');
    const declarations = innerOpen >= 0 ? body.slice(innerOpen + 1) : body;
    const selectorList = innerOpen >= 0 ? body.slice(0, innerOpen) : selectors;
    if (!isHidingRule(declarations)) continue;
    for (const selector of selectorList.split(',')) {
      const cls = /^\s*\.([A-Za-z_][\w-]*)\s*$/.exec(selector)?.[1];
      if (cls !== undefined) into.add(cls);
    }
  }
}

function isHidingRule(declarations: string): boolean {
  const info = parseInlineStyle(declarations);
  return (
    info.hiding !== undefined ||
    (info.color !== undefined && info.background !== undefined && isSameColor(info.color, info.background))
  );
}
