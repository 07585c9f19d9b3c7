import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative, sep } from 'node:path';
import { normaliseText } from './features.js';
import { seededRandom, shuffle, type Random } from './prng.js';

/**
 * Packages left out because the training data already holds their docs or code (MANIFEST.md: pino,
 * fastify; `@pinojs` is pino's own scope): a threshold must not be calibrated, nor a metric
 * reported, on trained-on text.
 */
export const TRAINED_ON_PACKAGES = ['pino', 'fastify', '@fastify', '@pinojs'] as const;

/**
 * The pool is split by package: a package's text is either trained on (`train`) or used to calibrate
 * and measure thresholds (`calibration`), never both.
 */
export type PoolHalf = 'train' | 'calibration';

export interface PoolSelection {
  /** At most this many files are read (chosen evenly across the sorted list, so the pool is stable). */
  readonly maxFiles?: number;
  readonly excludePackages?: readonly string[];
  /** Only packages of this half (`halfOf`); absent: every package. */
  readonly half?: PoolHalf;
  /** Seed of the split into halves and of any sampling (default 1). */
  readonly seed?: number;
}

export interface BenignPoolOptions extends PoolSelection {
  /** Texts are cut into chunks of this many characters (tool outputs are typically 1–8 KB). */
  readonly chunkChars?: number;
}

export interface PoolFile {
  readonly path: string;
  /** The npm package the file belongs to: the name after the last `node_modules/` (with its scope). */
  readonly pkg: string;
}

const EXTENSIONS = new Set([
  '.md',
  '.markdown',
  '.txt',
  '.js',
  '.mjs',
  '.cjs',
  '.ts',
  '.json',
  '.yml',
  '.yaml',
]);
const DOCS = new Set(['.md', '.markdown', '.txt']);

/** The package a file under `root` belongs to; nested `node_modules` count as their own packages. */
export function packageOf(root: string, path: string): string {
  const parts = relative(root, path).split(sep);
  const at = parts.lastIndexOf('node_modules') + 1;
  const name = parts[at] ?? '';
  return name.startsWith('@') ? `${name}/${parts[at + 1] ?? ''}` : name;
}

/** A package's half: a hash of its name and the seed, so every copy and version lands on one side. */
export function halfOf(pkg: string, seed = 1): PoolHalf {
  let h = 0x811c9dc5;
  for (const c of `${seed}\u0000${pkg}`) h = Math.imul(h ^ (c.codePointAt(0) ?? 0), 0x01000193);
  return (h >>> 0) / 0x1_0000_0000 < 0.5 ? 'train' : 'calibration';
}

/** The files of the pool (sorted by path), of one half if asked, evenly thinned to `maxFiles`. */
export function poolFiles(root: string, o: PoolSelection = {}): PoolFile[] {
  const paths: string[] = [];
  walk(root, paths, 0, new Set(o.excludePackages ?? TRAINED_ON_PACKAGES));
  paths.sort();
  const all = paths
    .map((path) => ({ path, pkg: packageOf(root, path) }))
    .filter((f) => o.half === undefined || halfOf(f.pkg, o.seed) === o.half);
  const maxFiles = o.maxFiles ?? 3000;
  const step = Math.max(1, all.length / maxFiles);
  const picked: PoolFile[] = [];
  for (let i = 0; i < all.length && picked.length < maxFiles; i += step) picked.push(all[Math.floor(i)]!);
  return picked;
}

/**
 * Realistic long benign tool outputs for calibrating a threshold: the READMEs, docs and sources of
 * installed npm packages (under `root`, normally `node_modules`) in chunks of ≥ 200 characters.
 */
export function benignPool(
  root: string,
  options: BenignPoolOptions = {},
): { texts: string[]; files: number; packages: number } {
  const chunk = options.chunkChars ?? 4096;
  const texts: string[] = [];
  const packages = new Set<string>();
  let files = 0;
  for (const f of poolFiles(root, options)) {
    const text = readText(f.path);
    if (text === undefined) continue;
    files += 1;
    packages.add(f.pkg);
    for (let at = 0; at < text.length; at += chunk) {
      const piece = text.slice(at, at + chunk);
      if (piece.trim().length >= 200) texts.push(piece);
    }
  }
  return { texts, files, packages: packages.size };
}

/**
 * Kinds of short and structured tool output cut from the pool: `line` a single line of 2–80
 * characters (a heading, list item, status-like line, or a package.json value: name, version,
 * licence), `sentence` one prose sentence, `paragraph` a prose block, `chunk` a 0.5–4 KB slice of a
 * file, `json` a compact (a quarter pretty-printed) JSON result made from package.json fields, another
 * JSON file or a `{path, content}` file read, `message` a source string literal that reads as text (an
 * error or status message).
 */
export const SNIPPET_KINDS = ['line', 'sentence', 'paragraph', 'chunk', 'json', 'message'] as const;
export type SnippetKind = (typeof SNIPPET_KINDS)[number];

export interface Snippet {
  readonly kind: SnippetKind;
  readonly text: string;
  readonly pkg: string;
}

export interface SnippetOptions extends PoolSelection {
  /** How many of each kind to draw (after de-duplication); kinds not named are not drawn. */
  readonly counts: Partial<Record<SnippetKind, number>>;
  /** Normalised texts (`normaliseText`) never to return, e.g. the texts a model was trained on. */
  readonly exclude?: ReadonlySet<string>;
}

export interface SnippetPool {
  readonly snippets: Snippet[];
  readonly files: number;
  readonly packages: number;
  /** Distinct candidates of each kind before drawing. */
  readonly candidates: Record<SnippetKind, number>;
}

/**
 * Draws snippets of each kind, seeded: candidates are cut from every file of the selection, every
 * occurrence is shuffled, and texts are drawn in that order skipping any whose normalised form was
 * drawn already (or is excluded), with at most `ceil(count / 40)` (≥ 3) per package so a few large
 * packages do not dominate. A text is thus drawn in proportion to how often it occurs.
 */
export function poolSnippets(root: string, o: SnippetOptions): SnippetPool {
  const random = seededRandom(o.seed ?? 1);
  const found = Object.fromEntries(SNIPPET_KINDS.map((k) => [k, [] as Snippet[]])) as Record<
    SnippetKind,
    Snippet[]
  >;
  const packages = new Set<string>();
  const manifests: Record<string, unknown>[] = [];
  let files = 0;
  // Every file of the half by default: the short kinds are cheap, and package.json files are few.
  for (const f of poolFiles(root, { ...o, maxFiles: o.maxFiles ?? Infinity })) {
    const text = readText(f.path);
    if (text === undefined) continue;
    files += 1;
    packages.add(f.pkg);
    const add = (kind: SnippetKind, t: string) => found[kind].push({ kind, text: t, pkg: f.pkg });
    if (basename(f.path) === 'package.json') {
      const manifest = parseObject(text);
      if (manifest) manifests.push(manifest);
      for (const j of manifestJson(manifest, random)) add('json', j);
      for (const v of manifestValues(manifest)) add('line', v);
      continue;
    }
    if (extname(f.path).toLowerCase() === '.json') {
      const data = dataJson(parseObject(text), random);
      if (data !== undefined) add('json', data);
    }
    cutText(text, f.path, random, add);
  }
  for (const j of searchResults(manifests, random))
    found.json.push({ kind: 'json', text: j, pkg: '(several)' });
  const candidates = {} as Record<SnippetKind, number>;
  const snippets: Snippet[] = [];
  const seen = new Set<string>(o.exclude);
  for (const kind of SNIPPET_KINDS) {
    const drawn = draw(found[kind], o.counts[kind] ?? 0, seen, random);
    candidates[kind] = drawn.distinct;
    snippets.push(...drawn.picked);
  }
  return { snippets, files, packages: packages.size, candidates };
}

function cutText(text: string, path: string, random: Random, add: (k: SnippetKind, t: string) => void) {
  const isDoc = DOCS.has(extname(path).toLowerCase());
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    // Code lines are kept at one in twenty: short tool outputs are more often prose than code.
    if (line.length < 2 || line.length > 80 || !/[a-z0-9]/i.test(line)) continue;
    if (isDoc) add('line', random() < 0.5 ? line.replace(/^(#{1,6}|[-*+]|\d+\.|>)\s+/, '') : line);
    else if (random() < 0.05) add('line', line);
  }
  if (CODE.has(extname(path).toLowerCase())) for (const m of messagesOf(text)) add('message', m);
  if (isDoc) {
    for (const block of text.split(/\n\s*\n/)) {
      const p = block.trim();
      if (p.length >= 80 && p.length <= 1500) {
        add('paragraph', p);
        if (random() < 0.3) add('json', fileRead(path, p));
      }
      for (const s of p.replace(/\s+/g, ' ').split(/(?<=[.!?])\s+(?=[A-Z])/)) {
        if (s.length >= 20 && s.length <= 300 && s.includes(' ')) add('sentence', s);
      }
    }
  }
  if (text.length >= 512) {
    const length = 512 + Math.floor(random() * (Math.min(4096, text.length) - 511));
    const from = Math.floor(random() * (text.length - length + 1));
    add('chunk', text.slice(from, from + length));
  }
}

const CODE = new Set(['.js', '.mjs', '.cjs', '.ts']);
const STRING_LITERAL = /(['"`])((?:(?!\1)[^\\\n]){2,80})\1/g;

/**
 * A source file's string literals that read as messages (errors, statuses, log lines: what a tool
 * prints): 2–80 characters that begin with a letter, hold no code punctuation, and have a space or a
 * capital first letter, so identifiers, module paths and encodings ('utf8', './lib/x.js') are left out.
 */
function messagesOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(STRING_LITERAL)) {
    const s = m[2]!.trim();
    // Code rather than text: minified sources' fragments, selectors, expressions.
    if (!/^[A-Za-z]/.test(s) || /[{}();=<>|&[\]$\\`]/.test(s) || s === 'use strict') continue;
    if (!/\s/.test(s) && !/^[A-Z]/.test(s)) continue;
    out.push(s);
  }
  return out;
}

const SUMMARY = ['name', 'version', 'description'];
const DETAILS = [...SUMMARY, 'license', 'author', 'homepage', 'keywords', 'repository'];

/** One or two API-like JSON results from a package.json. */
function manifestJson(m: Record<string, unknown> | undefined, random: Random): string[] {
  if (!m || typeof m.name !== 'string') return [];
  const forms = [
    pick(m, SUMMARY),
    pick(m, DETAILS),
    { package: pick(m, SUMMARY) },
    { result: pick(m, DETAILS) },
    m.dependencies ? { name: m.name, version: m.version, dependencies: m.dependencies } : pick(m, SUMMARY),
    m,
  ];
  shuffle(forms, random);
  return forms
    .slice(0, random() < 0.5 ? 1 : 2)
    .map((f) => serialise(f, random))
    .filter((j) => j.length <= 4096);
}

/** `{ total, results: [...] }` over 2–5 packages at a time, as a registry search would answer. */
function searchResults(manifests: readonly Record<string, unknown>[], random: Random): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < manifests.length;) {
    const n = 2 + Math.floor(random() * 4);
    const results = manifests.slice(i, i + n).map((m) => pick(m, SUMMARY));
    out.push(serialise({ total: results.length, results }, random));
    i += n;
  }
  return out;
}

/** Another JSON file of the package (a schema, a data table, a config), cut to its first keys within 4 KB. */
function dataJson(v: Record<string, unknown> | undefined, random: Random): string | undefined {
  if (!v) return undefined;
  const kept: Record<string, unknown> = {};
  let json: string | undefined;
  for (const [k, x] of Object.entries(v)) {
    kept[k] = x;
    const next = serialise(kept, random);
    if (next.length > 4096) break;
    json = next;
  }
  return json;
}

function manifestValues(m: Record<string, unknown> | undefined): string[] {
  if (!m) return [];
  const author =
    typeof m.author === 'object' && m.author !== null ? (m.author as { name?: unknown }).name : m.author;
  return [m.name, m.version, m.description, m.license, author].filter(
    (v): v is string => typeof v === 'string' && v.trim().length >= 2 && v.length <= 80,
  );
}

function fileRead(path: string, content: string): string {
  const at = path.lastIndexOf(`node_modules${sep}`);
  return JSON.stringify({ path: at >= 0 ? path.slice(at + 13) : basename(path), content });
}

function pick(m: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => m[k] !== undefined).map((k) => [k, m[k]]));
}

function serialise(value: unknown, random: Random): string {
  return random() < 0.25 ? JSON.stringify(value, null, 2) : JSON.stringify(value);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Draws `count` snippets whose normalised text is not in `seen` (then adds theirs to it). Every
 * occurrence is shuffled before de-duplication, so a text is drawn in proportion to how often it
 * occurs: common messages ("OK", "Not Found") are what tools print most.
 */
function draw(all: Snippet[], count: number, seen: Set<string>, random: Random) {
  const keys = new Set<string>();
  const occurrences = all.filter((s) => {
    const key = normaliseText(s.text);
    if (key.length === 0 || seen.has(key)) return false;
    keys.add(key);
    return true;
  });
  shuffle(occurrences, random);
  const perPackage = Math.max(3, Math.ceil(count / 40));
  const taken = new Map<string, number>();
  const picked: Snippet[] = [];
  for (const s of occurrences) {
    if (picked.length >= count) break;
    const key = normaliseText(s.text);
    const n = taken.get(s.pkg) ?? 0;
    if (seen.has(key) || (n >= perPackage && s.pkg !== '(several)')) continue;
    taken.set(s.pkg, n + 1);
    picked.push(s);
    seen.add(key);
  }
  return { picked, distinct: keys.size };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function walk(dir: string, out: string[], depth: number, exclude: ReadonlySet<string>): void {
  if (depth > 8) return;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    if (name === '.bin' || name === '.cache' || isExcluded(name, exclude)) continue;
    const path = join(dir, name);
    let st;
    try {
      st = statSync(path);
    } catch {
      continue;
    }
    if (st.isDirectory()) walk(path, out, depth + 1, exclude);
    else if (
      st.isFile() &&
      st.size > 0 &&
      st.size < 512 * 1024 &&
      EXTENSIONS.has(extname(name).toLowerCase())
    )
      out.push(path);
  }
}

/** `pino` also covers `pino-pretty`, `pino-std-serializers`, …: the same project's text. */
function isExcluded(name: string, exclude: ReadonlySet<string>): boolean {
  for (const p of exclude) if (name === p || name.startsWith(`${p}-`)) return true;
  return false;
}
