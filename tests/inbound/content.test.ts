import { describe, expect, it } from 'vitest';
import {
  promptSlots,
  resourceSlots,
  rewriteSlots,
  toolDefinitionSlots,
  toolResultSlots,
} from '../../src/inbound/content.js';

describe('content slots', () => {
  const result = {
    content: [
      { type: 'text', text: 'first' },
      { type: 'image', data: 'AAAA', mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'file:///a', text: 'embedded' } },
      { type: 'resource', resource: { uri: 'file:///b', blob: 'AAAA' } },
    ],
    structuredContent: { items: [{ name: 'n1', tags: ['x', 'y'] }], count: 2 },
  };

  it('finds every text of a tool result, with its path', () => {
    expect(toolResultSlots(result).map((s) => [s.key, s.text])).toEqual([
      ['content.0.text', 'first'],
      ['content.2.resource.text', 'embedded'],
      ['structuredContent.items.0.name', 'n1'],
      ['structuredContent.items.0.tags.0', 'x'],
      ['structuredContent.items.0.tags.1', 'y'],
    ]);
  });

  it('finds resource texts, prompt messages and tool definition strings', () => {
    expect(
      resourceSlots({
        contents: [
          { uri: 'u', text: 'r' },
          { uri: 'v', blob: 'AA' },
        ],
      }).map((s) => s.key),
    ).toEqual(['contents.0.text']);
    const prompt = {
      description: 'd',
      messages: [
        { role: 'user', content: { type: 'text', text: 'm0' } },
        { role: 'assistant', content: { type: 'resource', resource: { uri: 'u', text: 'm1' } } },
      ],
    };
    expect(promptSlots(prompt).map((s) => [s.key, s.text])).toEqual([
      ['description', 'd'],
      ['messages.0.content.text', 'm0'],
      ['messages.1.content.resource.text', 'm1'],
    ]);
    const tool = {
      name: 'add',
      description: 'Adds',
      inputSchema: { type: 'object', properties: { a: { type: 'number', description: 'first' } } },
    };
    expect(toolDefinitionSlots(tool).map((s) => s.key)).toEqual([
      'description',
      'inputSchema.type',
      'inputSchema.properties.a.type',
      'inputSchema.properties.a.description',
    ]);
  });

  it('rewrites only the changed strings and never mutates the original', () => {
    const before = JSON.stringify(result);
    const slots = toolResultSlots(result);
    const out = rewriteSlots(
      result,
      slots,
      new Map([
        ['content.0.text', 'FIRST'],
        ['structuredContent.items.0.tags.1', 'Y'],
      ]),
    );
    expect(JSON.stringify(result)).toBe(before);
    expect(out.content[0]).toEqual({ type: 'text', text: 'FIRST' });
    expect(out.content[1]).toBe(result.content[1]); // untouched blocks are shared, not copied
    expect(out.structuredContent.items[0]?.tags).toEqual(['x', 'Y']);
    expect(out.structuredContent.count).toBe(2);
  });

  it('returns the same object when nothing changes', () => {
    const slots = toolResultSlots(result);
    expect(rewriteSlots(result, slots, new Map([['content.0.text', 'first']]))).toBe(result);
  });
});
