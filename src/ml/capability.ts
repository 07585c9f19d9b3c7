/**
 * The capability classifier: what an MCP tool can do, from its name, description and input schema,
 * as independent probabilities over CAPABILITY_LABELS, combined with the tool's MCP annotations.
 * Trained by `agentwall models train capability` (src/ml/build-model.ts, docs/models.md).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import { readRows } from './data.js';
import type { FeaturiserOptions } from './features.js';
import { modelsDir } from './model-files.js';
import { createOnnxScorer } from './onnx-session.js';
import { CAPABILITY_LABELS, type CapabilityLabel } from './tasks.js';

export { CAPABILITY_LABELS, type CapabilityLabel };

/**
 * MCP tool annotations (spec 2025-06-18, server/tools "Tool Annotations"): hints, all optional. The
 * spec's defaults for absent hints (readOnly false, destructive true, openWorld true) are not
 * applied: most servers send no annotations, and an absent hint says nothing about this tool.
 */
export interface ToolAnnotations {
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

/** The parts of an MCP `Tool` the classifier reads. */
export interface CapabilityTool {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema?: unknown;
  readonly annotations?: ToolAnnotations;
}

export type CapabilityScores = Record<CapabilityLabel, number>;

export interface CapabilityResult {
  /** Probabilities after the annotations were applied; these decide `flagged`. */
  readonly labels: CapabilityScores;
  /** Labels at or above their threshold from the model card, in CAPABILITY_LABELS order. */
  readonly flagged: CapabilityLabel[];
  /** The model's own probabilities, before annotations. */
  readonly model: CapabilityScores;
  /** The annotation rules that changed a probability (`readOnlyHint`, `destructiveHint`, …). */
  readonly hints: string[];
  /** `openWorldHint: true`: the tool says it may reach systems outside the user's own. */
  readonly openWorld: boolean;
}

/** `readTweet`, `read_text_file`, `IFTTTCreateApplet` → `read tweet`, `read text file`, `IFTTT Create Applet`. */
export function splitIdentifier(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[_\-.\s/:]+/g, ' ')
    .trim();
}

function propertyNames(schema: unknown): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const props = (schema as { properties?: unknown }).properties;
  return typeof props === 'object' && props !== null ? Object.keys(props) : [];
}

/**
 * The text the model reads, at training and at inference alike: the name split into words, twice,
 * the description, and the top-level input property names split into words. The bag's mean weighs
 * each feature by its count, so the repeated name (its verb is the cue that carries across toolkits)
 * counts as much as a short description; property descriptions are left out, as their boilerplate
 * ("The unique identifier of …") diluted it. Measured in cross-validation by toolkit against the
 * name once with property descriptions (micro F1 0.635 vs 0.605), docs/models.md.
 */
export function toolText(tool: CapabilityTool): string {
  const name = splitIdentifier(tool.name);
  const lines = [name, name];
  if (tool.description) lines.push(tool.description);
  for (const p of propertyNames(tool.inputSchema)) lines.push(splitIdentifier(p));
  return lines.join('\n');
}

const PARAMETER = /(\w+) \((\w+), (required|optional)\): /g;

/**
 * Reads a tool back from the training data's `tool_description` rows
 * (`Name: description\nParameters: p (type, required): text; …`, MANIFEST.md).
 */
export function parseToolDescription(text: string): CapabilityTool {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new RangeError(`not a tool description: ${JSON.stringify(text.slice(0, 80))}`);
  const name = text.slice(0, colon).trim();
  const [description = '', parameters = ''] = text.slice(colon + 1).split('\nParameters: ');
  const properties: Record<string, { type: string; description: string }> = {};
  const required: string[] = [];
  const marks = [...parameters.matchAll(PARAMETER)];
  marks.forEach((m, i) => {
    const [all, pname = '', type = '', need] = m;
    const end = marks[i + 1]?.index ?? parameters.length;
    const body = parameters.slice((m.index ?? 0) + all.length, end).replace(/;\s*$/, '');
    properties[pname] = { type, description: body.trim() };
    if (need === 'required') required.push(pname);
  });
  return {
    name,
    description: description.trim(),
    ...(marks.length > 0 ? { inputSchema: { type: 'object', properties, required } } : {}),
  };
}

/** One labelled tool for training: its text as the model reads it and its true labels. */
export interface CapabilityItem {
  readonly tool: string;
  readonly toolkit: string;
  readonly text: string;
  readonly label: readonly CapabilityLabel[];
}

export interface CapabilityData {
  readonly items: CapabilityItem[];
  readonly source: { file: string; sha256: string; rows: number; tools_described: number };
  readonly labelsFile: { file: string; sha256: string; tools: number; label_counts: Record<string, number> };
  readonly agentCases?: { file: string; tools: number; labelled: number; note: string };
}

/**
 * Joins the committed labels (`{"tool", "toolkit", "labels", "why"?}` per line) with the tools'
 * texts from the data's clean `tool_description` rows. `dataDir` is the data root (its
 * injection/train.jsonl is read, and agent/cases.jsonl only to count overlap) or the injection folder.
 */
export async function readCapabilityData(dataDir: string, labelsPath: string): Promise<CapabilityData> {
  const nested = join(dataDir, 'injection', 'train.jsonl');
  const file = existsSync(nested) ? nested : join(dataDir, 'train.jsonl');
  const raw = await readFile(file);
  const rows = await readRows(file);
  const tools = new Map<string, CapabilityTool>();
  for (const r of rows) {
    if (r.surface !== 'tool_description' || r.label !== 'benign') continue;
    const tool = parseToolDescription(r.text);
    if (!tools.has(tool.name)) tools.set(tool.name, tool);
  }
  const labelText = await readFile(labelsPath, 'utf8');
  const items: CapabilityItem[] = [];
  const counts: Record<string, number> = Object.fromEntries(CAPABILITY_LABELS.map((l) => [l, 0]));
  labelText.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const fail = (why: string) => {
      throw new AgentwallError(ErrorCode.DATA_INVALID, `${labelsPath}:${i + 1}: ${why}`);
    };
    let l: { tool?: unknown; toolkit?: unknown; labels?: unknown } = {};
    try {
      l = JSON.parse(line) as typeof l;
    } catch (err) {
      fail(`not JSON: ${(err as Error).message}`);
    }
    if (typeof l.tool !== 'string' || typeof l.toolkit !== 'string' || !Array.isArray(l.labels))
      fail('needs "tool", "toolkit" and "labels"');
    const label = l.labels as string[];
    for (const x of label)
      if (!(CAPABILITY_LABELS as readonly string[]).includes(x)) fail(`unknown label ${JSON.stringify(x)}`);
    const tool = tools.get(l.tool as string);
    if (tool === undefined) fail(`no tool_description row for ${JSON.stringify(l.tool)} in ${file}`);
    for (const x of label) counts[x] = (counts[x] ?? 0) + 1;
    items.push({
      tool: l.tool as string,
      toolkit: l.toolkit as string,
      text: toolText(tool as CapabilityTool),
      label: label as CapabilityLabel[],
    });
  });
  const labelled = new Set(items.map((it) => it.tool));
  return {
    items,
    source: {
      file: relativeData(dataDir, file),
      sha256: sha256(raw),
      rows: rows.length,
      tools_described: tools.size,
    },
    labelsFile: {
      file: 'models/capability.labels.jsonl',
      sha256: sha256(Buffer.from(labelText)),
      tools: items.length,
      label_counts: counts,
    },
    ...(await agentCaseOverlap(dataDir, labelled)),
  };
}

function relativeData(dataDir: string, file: string): string {
  return file.startsWith(dataDir) ? file.slice(dataDir.length).replace(/^[/\\]+/, '') || file : file;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** agent/cases.jsonl is an end-to-end eval set: the card says how many of its tools were trained on. */
async function agentCaseOverlap(dataDir: string, labelled: ReadonlySet<string>) {
  const file = join(dataDir, 'agent', 'cases.jsonl');
  if (!existsSync(file)) return {};
  const names = new Set<string>();
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    if (line.trim() === '') continue;
    for (const t of (JSON.parse(line) as { tools?: { name: string }[] }).tools ?? []) names.add(t.name);
  }
  const inTraining = [...names].filter((n) => labelled.has(n)).length;
  return {
    agentCases: {
      file: 'agent/cases.jsonl',
      tools: names.size,
      labelled: inTraining,
      note: "its tools come from the same InjecAgent tools.json: those labelled here are in the shipped model's training set, so an end-to-end eval on agent/cases.jsonl that uses capability signals runs on tools the model has seen. The file's texts were not read for training.",
    },
  };
}

export interface AnnotationOptions {
  /**
   * Let hints lower a probability (`readOnlyHint: true`, `openWorldHint: false`). The MCP spec says
   * clients must treat annotations as untrusted unless they come from trusted servers; with false,
   * hints only ever raise one.
   */
  readonly trustAnnotations?: boolean;
}

/**
 * Combines the model's probabilities with the tool's hints:
 * - `readOnlyHint: true` → read = 1, and (trusted) write = destructive = 0;
 * - `readOnlyHint: false` (explicit) → write = 1: the tool says it modifies its environment;
 * - `destructiveHint: true` without `readOnlyHint: true` → destructive = write = 1 (the spec gives the
 *   destructive hint meaning only for tools that are not read-only);
 * - `openWorldHint: true` → `openWorld`, and send_external = 1 when write is flagged: writing into an
 *   open world is sending; `openWorldHint: false` (trusted) → send_external = 0.
 */
export function applyAnnotations(
  model: CapabilityScores,
  thresholds: CapabilityScores,
  a: ToolAnnotations | undefined,
  o: AnnotationOptions = {},
): Omit<CapabilityResult, 'flagged' | 'model'> {
  const s = { ...model };
  const hints: string[] = [];
  const trusted = o.trustAnnotations ?? true;
  const set = (hint: string, label: CapabilityLabel, value: number) => {
    if (s[label] === value || (!trusted && value < s[label])) return;
    s[label] = value;
    if (!hints.includes(hint)) hints.push(hint);
  };
  if (a?.readOnlyHint === true) {
    set('readOnlyHint', 'read', 1);
    set('readOnlyHint', 'write', 0);
    set('readOnlyHint', 'destructive', 0);
  } else {
    if (a?.readOnlyHint === false) set('readOnlyHint', 'write', 1);
    if (a?.destructiveHint === true) {
      set('destructiveHint', 'destructive', 1);
      set('destructiveHint', 'write', 1);
    }
  }
  const openWorld = a?.openWorldHint === true;
  if (openWorld && s.write >= thresholds.write) set('openWorldHint', 'send_external', 1);
  if (a?.openWorldHint === false) set('openWorldHint', 'send_external', 0);
  return { labels: s, hints, openWorld };
}

/** What `models/capability.card.json` holds that the classifier needs (build-model.ts writes it). */
export interface CapabilityCardCore {
  readonly task: 'capability';
  readonly labels: readonly string[];
  readonly features: FeaturiserOptions;
  readonly thresholds: Readonly<Record<string, number>>;
}

export interface CapabilityClassifier {
  readonly labels: readonly CapabilityLabel[];
  readonly thresholds: Readonly<CapabilityScores>;
  classify(tool: CapabilityTool): Promise<CapabilityResult>;
  /** One ONNX run for many tools (a whole `tools/list`). */
  classifyAll(tools: readonly CapabilityTool[]): Promise<CapabilityResult[]>;
  close(): Promise<void>;
}

export interface CapabilityClassifierOptions extends AnnotationOptions {
  /** Folder holding capability.onnx and capability.card.json; the shipped `models/` by default. */
  readonly dir?: string;
}

function scoresOf(row: ArrayLike<number>): CapabilityScores {
  return Object.fromEntries(CAPABILITY_LABELS.map((l, i) => [l, row[i] ?? 0])) as CapabilityScores;
}

function checkCard(card: CapabilityCardCore): CapabilityScores {
  if (card.labels.join() !== CAPABILITY_LABELS.join())
    throw new Error(`labels ${card.labels.join(', ')} are not ${CAPABILITY_LABELS.join(', ')}`);
  for (const l of CAPABILITY_LABELS)
    if (typeof card.thresholds[l] !== 'number') throw new Error(`no threshold for ${l}`);
  return scoresOf(CAPABILITY_LABELS.map((l) => card.thresholds[l] as number));
}

export async function loadCapabilityClassifier(
  o: CapabilityClassifierOptions = {},
): Promise<CapabilityClassifier> {
  const dir = o.dir ?? modelsDir();
  let scorer;
  let thresholds: CapabilityScores;
  try {
    const card = JSON.parse(await readFile(join(dir, 'capability.card.json'), 'utf8')) as CapabilityCardCore;
    thresholds = checkCard(card);
    // A tool's text is short and its name comes first: truncating at maxIds keeps the name, where
    // averaging windows (the scorer's default for multi-output models) would dilute it.
    scorer = await createOnnxScorer({
      model: join(dir, 'capability.onnx'),
      features: card.features,
      chunk: false,
    });
  } catch (err) {
    throw new AgentwallError(
      ErrorCode.MODEL_LOAD,
      `cannot load the capability model: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const onnx = scorer;
  async function classifyAll(tools: readonly CapabilityTool[]): Promise<CapabilityResult[]> {
    const rows = await onnx.score(tools.map(toolText));
    return tools.map((tool, i) => {
      const model = scoresOf(rows[i] ?? []);
      const combined = applyAnnotations(model, thresholds, tool.annotations, o);
      const flagged = CAPABILITY_LABELS.filter((l) => combined.labels[l] >= thresholds[l]);
      return { ...combined, model, flagged };
    });
  }
  return {
    labels: CAPABILITY_LABELS,
    thresholds,
    classifyAll,
    classify: async (tool) => (await classifyAll([tool]))[0] as CapabilityResult,
    close: () => onnx.close(),
  };
}
