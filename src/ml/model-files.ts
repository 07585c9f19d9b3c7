import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { ModelCard } from './build-model.js';
import type { TaskName } from './tasks.js';

/** The shipped models' folder: `models/` of the package (two levels above this module, src/ or dist/). */
export function modelsDir(): string {
  return fileURLToPath(new URL('../../models/', import.meta.url));
}

export function modelPaths(task: TaskName, dir = modelsDir()): { onnx: string; card: string } {
  return { onnx: join(dir, `${task}.onnx`), card: join(dir, `${task}.card.json`) };
}

export async function readCard(task: TaskName, dir = modelsDir()): Promise<ModelCard> {
  return JSON.parse(await readFile(modelPaths(task, dir).card, 'utf8')) as ModelCard;
}
