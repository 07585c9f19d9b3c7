import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

export interface BenignPoolOptions {
  /** At most this many files are read (chosen evenly across the sorted list, so the pool is stable). */
  readonly maxFiles?: number;
  /** Texts are cut into chunks of this many characters (tool outputs are typically 1–8 KB). */
  readonly chunkChars?: number;
  /**
   * Packages left out because the training data already holds their docs or code (MANIFEST.md:
   * pino, fastify): a threshold must not be calibrated, nor a metric reported, on trained-on text.
   */
  readonly excludePackages?: readonly string[];
}

export const TRAINED_ON_PACKAGES = ['pino', 'fastify', '@fastify'] as const;

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

/**
 * Realistic benign tool outputs for calibrating a threshold: the READMEs, docs and sources of
 * installed npm packages (under `root`, normally `node_modules`). Never used for training; the model
 * card says which pool a threshold was calibrated on.
 */
export function benignPool(
  root: string,
  options: BenignPoolOptions = {},
): { texts: string[]; files: number } {
  const maxFiles = options.maxFiles ?? 3000;
  const chunk = options.chunkChars ?? 4096;
  const all: string[] = [];
  walk(root, all, 0, new Set(options.excludePackages ?? TRAINED_ON_PACKAGES));
  all.sort();
  const step = Math.max(1, all.length / maxFiles);
  const texts: string[] = [];
  let files = 0;
  for (let i = 0; i < all.length && files < maxFiles; i += step) {
    const file = all[Math.floor(i)] as string;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    files += 1;
    for (let at = 0; at < text.length; at += chunk) {
      const piece = text.slice(at, at + chunk);
      if (piece.trim().length >= 200) texts.push(piece);
    }
  }
  return { texts, files };
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
    ) {
      out.push(path);
    }
  }
}

/** `pino` also covers `pino-pretty`, `pino-std-serializers`, …: the same project's text. */
function isExcluded(name: string, exclude: ReadonlySet<string>): boolean {
  for (const p of exclude) if (name === p || name.startsWith(`${p}-`)) return true;
  return false;
}
