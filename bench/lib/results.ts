import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resultsDir } from './paths.js';

/** Writes `bench/results/<name>.json` and returns its path. */
export async function writeResults(name: string, data: unknown): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}.json`);
  await writeFile(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
