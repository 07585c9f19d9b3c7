// Generated and mutated JSON-RPC frames for the protocol fuzzing suites (fast-check). Each frame is the
// exact bytes a client sends — one HTTP body, or one stdio line — and a kind, for counting outcomes.
// Tool calls name only `echo` (or names no server has): the fuzzer must not pick the fixture's fault tools.
import fc from 'fast-check';

export const FRAME_KINDS = [
  'unknown-method',
  'known-method',
  'notification',
  'response',
  'wrong-types',
  'huge-id',
  'deep-nesting',
  'invalid-utf8',
  'truncated',
  'batch',
  'json-value',
  'mutated',
] as const;
export type FrameKind = (typeof FRAME_KINDS)[number];

/** How the HTTP fuzzer dresses the request (stdio ignores it). */
export type HeaderVariant = 'normal' | 'no-session' | 'bad-accept' | 'bad-content-type' | 'bad-version';

export interface Frame {
  readonly kind: FrameKind;
  readonly body: Buffer;
  readonly headers: HeaderVariant;
}

export const KNOWN_METHODS = [
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'sampling/createMessage',
  'elicitation/create',
  'roots/list',
] as const;

const NOTIFICATIONS = [
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
  'notifications/message',
] as const;

/** Tools of the fixture that would stall or kill it; the fuzzer never calls them. */
const FAULT_TOOLS = new Set(['slow', 'garbage', 'crash', 'hang']);

const small = { maxDepth: 3, maxKeys: 4 } as const;
const anyJson = fc.jsonValue(small);
const paramsObject = fc.dictionary(fc.string({ maxLength: 12 }), anyJson, { maxKeys: 4 });

/** Ids a client may legally use; made unique by the caller where it tracks replies. */
const goodId = fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.string({ minLength: 1, maxLength: 16 }));

const toolName = fc.oneof(
  fc.constant('echo'),
  fc.string({ maxLength: 20 }).filter((s) => !FAULT_TOOLS.has(s)),
);

/** Parameters shaped like the method's, with random values where they matter. */
const paramsFor = (method: string): fc.Arbitrary<unknown> => {
  switch (method) {
    case 'tools/call':
      return fc.record({
        name: fc.oneof({ weight: 4, arbitrary: toolName }, anyJson),
        arguments: fc.oneof(fc.record({ text: fc.string({ maxLength: 40 }) }), anyJson),
      });
    case 'resources/read':
    case 'resources/subscribe':
      return fc.record({ uri: fc.oneof(fc.webUrl(), fc.string(), anyJson) });
    case 'prompts/get':
      return fc.record({ name: fc.string({ maxLength: 12 }), arguments: paramsObject });
    case 'logging/setLevel':
      return fc.record({ level: fc.oneof(fc.constantFrom('debug', 'info', 'error'), anyJson) });
    case 'notifications/cancelled':
      // Random numeric ids only: the suites' own tracked ids are strings and must not be cancelled.
      return fc.record({ requestId: fc.integer({ min: 1_000_000_001 }), reason: fc.string() });
    default:
      return fc.oneof(paramsObject, fc.constant(undefined));
  }
};

const request = (methods: fc.Arbitrary<string>) =>
  methods.chain((method) =>
    fc.record({ id: goodId, params: paramsFor(method) }).map(({ id, params }) => ({
      jsonrpc: '2.0',
      id,
      method,
      ...(params === undefined ? {} : { params }),
    })),
  );

const unknownMethod = request(
  fc.string({ maxLength: 30 }).filter((m) => !(KNOWN_METHODS as readonly string[]).includes(m)),
);
const knownMethod = request(fc.constantFrom(...KNOWN_METHODS));
const notification = fc
  .oneof(fc.constantFrom(...NOTIFICATIONS), fc.string({ maxLength: 30 }))
  .chain((method) =>
    paramsFor(method).map((params) => ({ jsonrpc: '2.0', method, ...(params ? { params } : {}) })),
  );
const response = fc
  .record({
    jsonrpc: fc.constant('2.0'),
    id: goodId,
    outcome: fc.oneof(
      anyJson.map((result) => ({ result })),
      fc.record({ code: fc.integer(), message: fc.string() }).map((error) => ({ error })),
    ),
  })
  .map(({ outcome, ...m }) => ({ ...m, ...outcome }));

const validMessage = fc.oneof(knownMethod, unknownMethod, notification, response);
const validBytes = validMessage.map((m) => Buffer.from(JSON.stringify(m)));

/** One field of a valid message replaced by a value of the wrong type. */
const wrongTypes = fc
  .tuple(
    knownMethod,
    fc.constantFrom('jsonrpc', 'id', 'method', 'params'),
    fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.double(),
      fc.string(),
      fc.array(anyJson, { maxLength: 3 }),
      paramsObject,
    ),
  )
  .map(([m, field, value]) => Buffer.from(JSON.stringify({ ...m, [field]: value })));

/** Ids no sane client sends, written as raw JSON text (1e400 parses to Infinity, -0 to -0). */
const hugeId = fc
  .tuple(
    fc.oneof(
      fc.constantFrom('1e308', '-1e308', '1e400', '-0', '9007199254740993', '123456789012345678901234567890'),
      fc.integer({ min: 1_000, max: 20_000 }).map((n) => JSON.stringify('i'.repeat(n))),
      fc.double().map((d) => (Number.isFinite(d) ? String(d) : '1e999')),
    ),
    fc.constantFrom(...KNOWN_METHODS, 'no/such/method'),
  )
  .map(([id, method]) => Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"${method}","params":{}}`));

/** Nesting 20 to 200,000 levels deep (mostly a few thousand; agentwall refuses more than 100), in params or in a tool call's arguments. */
const depth = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 20, max: 99 }) },
  { weight: 49, arbitrary: fc.integer({ min: 100, max: 5_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 200_000 }) },
);
const deepNesting = fc
  .tuple(depth, fc.constantFrom('[', '{"a":'), fc.boolean())
  .map(([depth, open, inArguments]) => {
    const close = open === '[' ? ']' : '}';
    const deep = `${open.repeat(depth)}1${close.repeat(depth)}`;
    const params = inArguments
      ? `{"name":"echo","arguments":{"text":"x","deep":${deep}}}`
      : `{"deep":${deep}}`;
    return Buffer.from(`{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":${params}}`);
  });

const INVALID_UTF8 = [
  [0xff],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80],
  [0xe2, 0x82],
];

const invalidUtf8 = fc
  .tuple(
    validBytes,
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...INVALID_UTF8)), { minLength: 1, maxLength: 4 }),
  )
  .map(([bytes, inserts]) => {
    let out = bytes;
    for (const [at, seq] of inserts) {
      const i = at % (out.length + 1);
      out = Buffer.concat([out.subarray(0, i), Buffer.from(seq), out.subarray(i)]);
    }
    return out;
  });

const truncated = fc
  .tuple(validBytes, fc.nat())
  .map(([bytes, at]) => bytes.subarray(0, at % Math.max(1, bytes.length)));

const batch = fc
  .array(fc.oneof(validMessage, anyJson), { maxLength: 6 })
  .map((items) => Buffer.from(JSON.stringify(items)));

const jsonValue = fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null'));

/** Byte-level mutations of a valid frame: flip, delete, insert, duplicate a slice. */
const mutated = fc
  .tuple(validBytes, fc.array(fc.tuple(fc.nat(3), fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 5 }))
  .map(([bytes, ops]) => {
    let out = Buffer.from(bytes);
    for (const [op, pos, byte] of ops) {
      const i = pos % Math.max(1, out.length);
      if (op === 0 && out.length > 0) out[i] = (out[i] ?? 0) ^ (1 << (byte % 8));
      else if (op === 1) out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)]);
      else if (op === 2) out = Buffer.concat([out.subarray(0, i), Buffer.from([byte]), out.subarray(i)]);
      else out = Buffer.concat([out.subarray(0, i), out.subarray(i, i + (byte % 16)), out.subarray(i)]);
    }
    return out;
  });

const json = (arb: fc.Arbitrary<unknown>) => arb.map((m) => Buffer.from(JSON.stringify(m)));

const BODIES: Record<FrameKind, { weight: number; arbitrary: fc.Arbitrary<Buffer> }> = {
  'unknown-method': { weight: 10, arbitrary: json(unknownMethod) },
  'known-method': { weight: 14, arbitrary: json(knownMethod) },
  notification: { weight: 8, arbitrary: json(notification) },
  response: { weight: 5, arbitrary: json(response) },
  'wrong-types': { weight: 10, arbitrary: wrongTypes },
  'huge-id': { weight: 4, arbitrary: hugeId },
  'deep-nesting': { weight: 1, arbitrary: deepNesting },
  'invalid-utf8': { weight: 8, arbitrary: invalidUtf8 },
  truncated: { weight: 10, arbitrary: truncated },
  batch: { weight: 8, arbitrary: batch },
  'json-value': { weight: 6, arbitrary: jsonValue },
  mutated: { weight: 16, arbitrary: mutated },
};

const headerVariant = fc.oneof(
  { weight: 92, arbitrary: fc.constant<HeaderVariant>('normal') },
  { weight: 2, arbitrary: fc.constant<HeaderVariant>('no-session') },
  { weight: 2, arbitrary: fc.constant<HeaderVariant>('bad-accept') },
  { weight: 2, arbitrary: fc.constant<HeaderVariant>('bad-content-type') },
  { weight: 2, arbitrary: fc.constant<HeaderVariant>('bad-version') },
);

/**
 * A valid `initialize` without a session opens a new one, with its own upstream processes: a few are
 * the fuzzer testing nothing new at a high price, so such frames keep the session header.
 */
function sessionless(body: Buffer, headers: HeaderVariant): HeaderVariant {
  return headers === 'no-session' && body.includes('"initialize"') ? 'normal' : headers;
}

export const frameArbitrary: fc.Arbitrary<Frame> = fc.oneof(
  ...FRAME_KINDS.map((kind) => ({
    weight: BODIES[kind].weight,
    arbitrary: fc
      .tuple(BODIES[kind].arbitrary, headerVariant)
      .map(([body, headers]): Frame => ({ kind, body, headers: sessionless(body, headers) })),
  })),
);

/** `count` frames from `seed`: the same seed gives the same frames, so a failure can be replayed. */
export function sampleFrames(count: number, seed: number): Frame[] {
  return fc.sample(frameArbitrary, { numRuns: count, seed });
}
