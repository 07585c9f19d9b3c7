import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** The text blocks of a tool result (or any `{ content }`), joined by newlines. */
export function textOf(result: object): string {
  const content = ((result as { content?: unknown }).content ?? []) as CallToolResult['content'];
  return content
    .filter((c): c is Extract<typeof c, { type: 'text' }> => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

/** Settles `promise` and returns what it rejected with; fails if it resolved. */
export async function rejectionOf(
  promise: Promise<unknown>,
): Promise<Error & { code?: unknown; data?: unknown }> {
  let value: unknown;
  try {
    value = await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`rejected with a non-Error: ${String(err)}`, { cause: err });
  }
  throw new Error(
    `expected a rejection, but the promise resolved to ${JSON.stringify(value)?.slice(0, 500)}`,
  );
}

/** The text of a resource's contents item; undefined for a blob or a missing item. */
export function resourceText(item: object | undefined): string | undefined {
  const text = (item as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' ? text : undefined;
}
