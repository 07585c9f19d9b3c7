import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAgentwallError } from '../../src/core/errors.js';
import {
  applyAnnotations,
  CAPABILITY_LABELS,
  loadCapabilityClassifier,
  parseToolDescription,
  splitIdentifier,
  toolText,
  type CapabilityClassifier,
  type CapabilityScores,
  type CapabilityTool,
  type ToolAnnotations,
} from '../../src/ml/capability.js';
import { modelsDir } from '../../src/ml/model-files.js';
import { filesystemServer, memoryServer } from '../helpers/servers.js';
import { withDirectClient } from '../helpers/listings.js';

describe('splitIdentifier', () => {
  it.each([
    ['TwitterManagerReadTweet', 'Twitter Manager Read Tweet'],
    ['read_text_file', 'read text file'],
    ['get-annotated-message', 'get annotated message'],
    ['IFTTTCreateApplet', 'IFTTT Create Applet'],
    ['The23andMeShareData', 'The23and Me Share Data'],
    ['sendEmail', 'send Email'],
    ['fs.readFile', 'fs read File'],
    ['add', 'add'],
  ])('%s → %s', (name, words) => expect(splitIdentifier(name)).toBe(words));
});

// A training-data row and the same tool as agent/cases.jsonl serves it over MCP.
const ROW =
  'GmailSendEmail: Send an email to one or multiple recipients, with optional scheduling, cc, and bcc.\n' +
  'Parameters: to (string, required): A string of email addresses to send to, separated by commas.; ' +
  'subject (string, required): The subject of the email.; cc (string, optional): A string of cc email addresses.';
const MCP_TOOL: CapabilityTool = {
  name: 'GmailSendEmail',
  description: 'Send an email to one or multiple recipients, with optional scheduling, cc, and bcc.',
  inputSchema: {
    type: 'object',
    properties: {
      to: { type: 'string', description: 'A string of email addresses to send to, separated by commas.' },
      subject: { type: 'string', description: 'The subject of the email.' },
      cc: { type: 'string', description: 'A string of cc email addresses.' },
    },
    required: ['to', 'subject'],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: false },
};

describe('parseToolDescription and toolText', () => {
  it('reads a data row back into a tool with its schema', () => {
    const tool = parseToolDescription(ROW);
    expect(tool.name).toBe('GmailSendEmail');
    expect(tool.description).toBe(MCP_TOOL.description);
    expect(tool.inputSchema).toEqual({
      type: 'object',
      properties: {
        to: { type: 'string', description: 'A string of email addresses to send to, separated by commas.' },
        subject: { type: 'string', description: 'The subject of the email.' },
        cc: { type: 'string', description: 'A string of cc email addresses.' },
      },
      required: ['to', 'subject'],
    });
    expect(parseToolDescription('add: Add two numbers.')).toEqual({
      name: 'add',
      description: 'Add two numbers.',
    });
    expect(() => parseToolDescription('no colon here')).toThrow(RangeError);
  });

  it('gives the model the same text for a training row and for the live MCP tool', () => {
    const text = toolText(MCP_TOOL);
    expect(toolText(parseToolDescription(ROW))).toBe(text);
    expect(text.split('\n')).toEqual([
      'Gmail Send Email',
      'Gmail Send Email',
      MCP_TOOL.description,
      'to',
      'subject',
      'cc',
    ]);
    expect(toolText({ name: 'list_directory' })).toBe('list directory\nlist directory');
    expect(toolText({ name: 'x', inputSchema: 'not a schema' })).toBe('x\nx');
  });
});

const HALF = Object.fromEntries(CAPABILITY_LABELS.map((l) => [l, 0.5])) as CapabilityScores;
const MODEL: CapabilityScores = {
  read: 0.2,
  write: 0.7,
  destructive: 0.6,
  send_external: 0.3,
  financial: 0.1,
  credential: 0.05,
  execute: 0.02,
};

describe('applyAnnotations', () => {
  const cases: {
    name: string;
    a: ToolAnnotations | undefined;
    trust?: boolean;
    want: Partial<CapabilityScores>;
    hints: string[];
    openWorld?: boolean;
  }[] = [
    { name: 'no annotations', a: undefined, want: {}, hints: [] },
    { name: 'idempotent only', a: { idempotentHint: true }, want: {}, hints: [] },
    {
      name: 'readOnly, trusted',
      a: { readOnlyHint: true, destructiveHint: true },
      want: { read: 1, write: 0, destructive: 0 },
      hints: ['readOnlyHint'],
    },
    {
      name: 'readOnly, untrusted: raises read only',
      a: { readOnlyHint: true },
      trust: false,
      want: { read: 1 },
      hints: ['readOnlyHint'],
    },
    { name: 'readOnly false', a: { readOnlyHint: false }, want: { write: 1 }, hints: ['readOnlyHint'] },
    {
      name: 'destructive',
      a: { destructiveHint: true },
      want: { destructive: 1, write: 1 },
      hints: ['destructiveHint'],
    },
    { name: 'destructive false changes nothing', a: { destructiveHint: false }, want: {}, hints: [] },
    {
      name: 'open world and writing',
      a: { openWorldHint: true },
      want: { send_external: 1 },
      hints: ['openWorldHint'],
      openWorld: true,
    },
    {
      name: 'open world but read-only',
      a: { openWorldHint: true, readOnlyHint: true },
      want: { read: 1, write: 0, destructive: 0 },
      hints: ['readOnlyHint'],
      openWorld: true,
    },
    {
      name: 'closed world, trusted',
      a: { openWorldHint: false },
      want: { send_external: 0 },
      hints: ['openWorldHint'],
    },
    { name: 'closed world, untrusted', a: { openWorldHint: false }, trust: false, want: {}, hints: [] },
  ];
  it.each(cases)('$name', ({ a, trust, want, hints, openWorld }) => {
    const r = applyAnnotations(MODEL, HALF, a, trust === undefined ? {} : { trustAnnotations: trust });
    expect(r.labels).toEqual({ ...MODEL, ...want });
    expect(r.hints).toEqual(hints);
    expect(r.openWorld).toBe(openWorld ?? false);
  });

  it('leaves the model scores it was given untouched', () => {
    const before = { ...MODEL };
    applyAnnotations(MODEL, HALF, { readOnlyHint: true });
    expect(MODEL).toEqual(before);
  });
});

describe('the shipped capability model', () => {
  let classifier: CapabilityClassifier;
  beforeAll(async () => {
    classifier = await loadCapabilityClassifier();
  });
  afterAll(() => classifier.close());

  it('has a card that names its bytes, a threshold per label and cross-validated metrics per label', () => {
    const onnx = readFileSync(join(modelsDir(), 'capability.onnx'));
    const card = JSON.parse(readFileSync(join(modelsDir(), 'capability.card.json'), 'utf8'));
    expect(onnx.length).toBeLessThanOrEqual(10 * 1024 * 1024);
    expect(card.onnx.sha256).toBe(createHash('sha256').update(onnx).digest('hex'));
    expect(card.labels).toEqual([...CAPABILITY_LABELS]);
    const labels = readFileSync(join(modelsDir(), 'capability.labels.jsonl'), 'utf8').trim().split('\n');
    expect(card.dev_metrics.n).toBe(labels.length);
    expect(card.labels_file.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(join(modelsDir(), 'capability.labels.jsonl')))
        .digest('hex'),
    );
    for (const l of CAPABILITY_LABELS) {
      expect(classifier.thresholds[l]).toBe(card.thresholds[l]);
      expect(card.dev_metrics.per_label[l]).toHaveProperty('f1');
    }
  });

  it('scores every label in [0, 1] and flags exactly those at or above their threshold', async () => {
    const tools: CapabilityTool[] = [
      MCP_TOOL,
      { name: 'TerminalExecute', description: 'Execute a terminal command and return the output.' },
      { name: 'x' },
    ];
    const all = await classifier.classifyAll(tools);
    for (const [i, r] of all.entries()) {
      for (const l of CAPABILITY_LABELS) {
        expect(r.model[l]).toBeGreaterThanOrEqual(0);
        expect(r.model[l]).toBeLessThanOrEqual(1);
      }
      expect(r.flagged).toEqual(CAPABILITY_LABELS.filter((l) => r.labels[l] >= classifier.thresholds[l]));
      // One at a time gives what the batch gave.
      const one = await classifier.classify(tools[i]!);
      for (const l of CAPABILITY_LABELS) expect(Math.abs(one.model[l] - r.model[l])).toBeLessThan(1e-6);
    }
  });

  it('fits tools it was trained on: sending email is write + send_external, a balance lookup is read + financial', async () => {
    const [email, balance] = await classifier.classifyAll([
      { ...MCP_TOOL, annotations: {} },
      parseToolDescription("VenmoCheckBalance: Check the User's Venmo balance."),
    ]);
    expect(email!.flagged).toEqual(expect.arrayContaining(['write', 'send_external']));
    expect(email!.flagged).not.toContain('read');
    expect(balance!.flagged).toEqual(expect.arrayContaining(['read', 'financial']));
    expect(balance!.flagged).not.toContain('write');
  });

  it('fails with MODEL_LOAD when the model is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentwall-cap-'));
    try {
      const err: unknown = await loadCapabilityClassifier({ dir }).catch((e: unknown) => e);
      expect(isAgentwallError(err, 'MODEL_LOAD')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('capability of the reference MCP servers (tools as tools/list returns them)', () => {
  let classifier: CapabilityClassifier;
  const dir = mkdtempSync(join(tmpdir(), 'agentwall-cap-servers-'));
  beforeAll(async () => {
    classifier = await loadCapabilityClassifier();
  });
  afterAll(async () => {
    await classifier.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['filesystem', () => filesystemServer(dir)],
    ['memory', () => memoryServer(join(dir, 'memory.json'))],
  ])(
    '%s: annotated read-only tools are read and never write; destructive hints are destructive',
    async (_, entry) => {
      const tools = await withDirectClient(entry(), {}, async (c) => (await c.listTools()).tools);
      expect(tools.length).toBeGreaterThan(5);
      const results = await classifier.classifyAll(tools);
      let readOnly = 0;
      for (const [i, t] of tools.entries()) {
        const r = results[i]!;
        if (t.annotations?.readOnlyHint === true) {
          readOnly++;
          expect(r.flagged).toContain('read');
          expect(r.flagged).not.toContain('write');
          expect(r.flagged).not.toContain('destructive');
        }
        if (t.annotations?.readOnlyHint === false && t.annotations.destructiveHint === true)
          expect(r.flagged).toEqual(expect.arrayContaining(['write', 'destructive']));
        if (t.annotations?.openWorldHint === false) expect(r.flagged).not.toContain('send_external');
      }
      expect(readOnly).toBeGreaterThan(2);
    },
  );
});
