/**
 * The texts of MCP content that reach the model, as addressable slots: every text block, embedded
 * resource text and `structuredContent` string of a tool result; every `contents[].text` of a resource;
 * every message text of a prompt; and a tool definition's description and schema strings.
 *
 * A slot is read with `slotsOf` and written back with `rewriteSlots`, which copies only the objects on
 * the way to a changed string: the upstream's value is never mutated.
 */

export type SlotPath = readonly (string | number)[];

export interface Slot {
  /** `content.0.text`, `structuredContent.items.2.name`: the path joined by dots. */
  readonly key: string;
  readonly path: SlotPath;
  readonly text: string;
}

/** Deeper than this, strings in structured values are not inspected (and a finding says so). */
export const MAX_DEPTH = 32;

/** Slots of a tool result (`CallToolResult`). */
export function toolResultSlots(result: Readonly<Record<string, unknown>>): Slot[] {
  const out: Slot[] = [];
  blockSlots(result.content, ['content'], out);
  if (result.structuredContent !== undefined)
    stringSlots(result.structuredContent, ['structuredContent'], out);
  return out;
}

/** Slots of a `resources/read` result. */
export function resourceSlots(result: Readonly<Record<string, unknown>>): Slot[] {
  const out: Slot[] = [];
  const contents = result.contents;
  if (!Array.isArray(contents)) return out;
  contents.forEach((c, i) => {
    if (isObject(c) && typeof c.text === 'string') out.push(slot(['contents', i, 'text'], c.text));
  });
  return out;
}

/** Slots of a `prompts/get` result: its description and every message's text. */
export function promptSlots(result: Readonly<Record<string, unknown>>): Slot[] {
  const out: Slot[] = [];
  if (typeof result.description === 'string') out.push(slot(['description'], result.description));
  const messages = result.messages;
  if (!Array.isArray(messages)) return out;
  messages.forEach((m, i) => {
    if (!isObject(m)) return;
    const content = m.content;
    // A message holds one content block (or, in newer revisions, an array of them).
    if (Array.isArray(content)) blockSlots(content, ['messages', i, 'content'], out);
    else if (isObject(content)) oneBlock(content, ['messages', i, 'content'], out);
  });
  return out;
}

/** Slots of a tool definition: its title, description and every string in its schemas. */
export function toolDefinitionSlots(tool: Readonly<Record<string, unknown>>): Slot[] {
  const out: Slot[] = [];
  if (typeof tool.title === 'string') out.push(slot(['title'], tool.title));
  if (typeof tool.description === 'string') out.push(slot(['description'], tool.description));
  if (tool.inputSchema !== undefined) stringSlots(tool.inputSchema, ['inputSchema'], out);
  if (tool.outputSchema !== undefined) stringSlots(tool.outputSchema, ['outputSchema'], out);
  return out;
}

function blockSlots(blocks: unknown, path: SlotPath, out: Slot[]): void {
  if (!Array.isArray(blocks)) return;
  blocks.forEach((b, i) => {
    if (isObject(b)) oneBlock(b, [...path, i], out);
  });
}

function oneBlock(block: Record<string, unknown>, path: SlotPath, out: Slot[]): void {
  if (block.type === 'text' && typeof block.text === 'string') out.push(slot([...path, 'text'], block.text));
  else if (block.type === 'resource' && isObject(block.resource) && typeof block.resource.text === 'string') {
    out.push(slot([...path, 'resource', 'text'], block.resource.text));
  }
}

/** Every string value (and object key that is not a plain identifier) of a JSON value. */
function stringSlots(value: unknown, path: SlotPath, out: Slot[], depth = 0): void {
  if (typeof value === 'string') {
    out.push(slot(path, value));
    return;
  }
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => stringSlots(v, [...path, i], out, depth + 1));
    return;
  }
  for (const [k, v] of Object.entries(value)) stringSlots(v, [...path, k], out, depth + 1);
}

function slot(path: SlotPath, text: string): Slot {
  return { key: path.join('.'), path, text };
}

/**
 * A copy of `value` with the strings at the given slot keys replaced. Only objects and arrays on the
 * path to a replaced string are copied; everything else is shared with the original.
 */
export function rewriteSlots<T>(
  value: T,
  slots: readonly Slot[],
  replacements: ReadonlyMap<string, string>,
): T {
  let out: unknown = value;
  for (const s of slots) {
    const next = replacements.get(s.key);
    if (next === undefined || next === s.text) continue;
    out = setAt(out, s.path, 0, next);
  }
  return out as T;
}

function setAt(node: unknown, path: SlotPath, i: number, text: string): unknown {
  if (i === path.length) return text;
  const key = path[i] as string | number;
  if (Array.isArray(node)) {
    const copy = node.slice();
    copy[key as number] = setAt(node[key as number], path, i + 1, text);
    return copy;
  }
  if (isObject(node)) return { ...node, [key]: setAt(node[key], path, i + 1, text) };
  return node;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
