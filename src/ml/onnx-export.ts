/**
 * Writes a TextClassifier as an ONNX ModelProto (IR 8, opset 17), the layout docs/models.md shows:
 *
 *   ids  int64 [N, L] ─ Gather(embedding [V, D]) ──────────── bag [N, L, D] ─┐
 *   mask float [N, L] ─ Unsqueeze(1) ─ weights [N, 1, L] ─────────────────── MatMul ─ Squeeze(1) ─┐
 *   mask ─ ReduceSum(1, keepdims) ─ Max(·, 1) ─────────────────────────────────────────────────── Div
 *        ─ mean [N, D] ─ Gemm(W [K, D], b [K], transB) ─ Sigmoid | Softmax ─ scores float [N, K]
 *
 * Sigmoid is elementwise, so binary (K = 1) and multi-label (K labels, one independent probability
 * each) models share it; Softmax is for multi-class. `exportEmbeddingOnnx` writes the text-embedding
 * baseline: the same bag over a fixed ±1 table, then L2 normalisation instead of a classifier head.
 *
 * The mask is a per-position weight (1, or an id's count when the caller merged duplicates), so
 * the graph computes Σ wᵢ·rowᵢ / max(Σ wᵢ, 1). MatMul does the weighted sum in one op; a Mul then
 * ReduceSum measured ~30% slower in ORT 1.30 on the CPU because it materialises [N, L, D] twice.
 * Padding positions carry id 0 and mask 0, so they add nothing; max(count, 1) makes an empty text
 * score from the bias alone, exactly as model.ts's forward does.
 * Field numbers are from onnx/onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).
 */
import type { FeaturiserOptions } from './features.js';
import type { TextClassifier } from './model.js';
import { outputCount } from './model.js';
import { ProtoWriter } from './proto-writer.js';

const IR_VERSION = 8; // ONNX 1.10+, the IR that opset 17 models use; ORT 1.30 reads up to IR 11
const OPSET = 17;
const FLOAT = 1;
const INT8 = 3;
const INT64 = 7;
const ATTR_INT = 2;

/** Key of the JSON metadata_props entry describing labels and featuriser. */
export const METADATA_KEY = 'agentwall.model';

function tensor(name: string, dims: readonly number[], type: number, raw: Uint8Array): ProtoWriter {
  return new ProtoWriter().packedInts(1, dims).int(2, type).string(8, name).bytes(9, raw);
}

function floatTensor(name: string, dims: readonly number[], data: Float32Array): ProtoWriter {
  // raw_data is little-endian; Node only runs on little-endian hosts we support (x64, arm64).
  return tensor(name, dims, FLOAT, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function int64Tensor(name: string, values: readonly number[]): ProtoWriter {
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  return tensor(name, [values.length], INT64, new Uint8Array(data.buffer));
}

function node(
  op: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attrs: Record<string, number> = {},
): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, `${op}_${outputs[0] ?? ''}`).string(4, op);
  for (const [name, value] of Object.entries(attrs)) {
    w.message(5, new ProtoWriter().string(1, name).int(3, value).int(20, ATTR_INT));
  }
  return w;
}

/** ValueInfoProto of a tensor; string dims are symbolic (dim_param), numbers fixed (dim_value). */
function valueInfo(name: string, elemType: number, dims: readonly (string | number)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    shape.message(1, typeof d === 'string' ? new ProtoWriter().string(2, d) : new ProtoWriter().int(1, d));
  }
  const tensorType = new ProtoWriter().int(1, elemType).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

function graph(m: TextClassifier): ProtoWriter {
  const k = outputCount(m.kind, m.labels);
  const g = new ProtoWriter();
  const nodes = [
    node('Gather', ['embedding', 'ids'], ['bag']),
    node('Unsqueeze', ['mask', 'axis_1'], ['weights']),
    node('MatMul', ['weights', 'bag'], ['summed3']),
    node('Squeeze', ['summed3', 'axis_1'], ['summed']),
    node('ReduceSum', ['mask', 'axis_1'], ['count'], { keepdims: 1 }),
    node('Max', ['count', 'one'], ['denominator']),
    node('Div', ['summed', 'denominator'], ['mean']),
    node('Gemm', ['mean', 'weight', 'bias'], ['logits'], { transB: 1 }),
    node(m.kind === 'multiclass' ? 'Softmax' : 'Sigmoid', ['logits'], ['scores']),
  ];
  for (const n of nodes) g.message(1, n);
  g.string(2, 'agentwall_text_classifier');
  g.message(5, floatTensor('embedding', [m.features.buckets, m.dim], m.embedding));
  g.message(5, floatTensor('weight', [k, m.dim], m.weight));
  g.message(5, floatTensor('bias', [k], m.bias));
  g.message(5, int64Tensor('axis_1', [1]));
  g.message(5, floatTensor('one', [], Float32Array.of(1)));
  g.message(11, valueInfo('ids', INT64, ['batch', 'length']));
  g.message(11, valueInfo('mask', FLOAT, ['batch', 'length']));
  g.message(12, valueInfo('scores', FLOAT, ['batch', k]));
  return g;
}

/** Serialises the model; the bytes can be written to `models/<task>.onnx` or given to ORT directly. */
export function exportOnnx(m: TextClassifier): Uint8Array {
  if (m.embedding.length !== m.features.buckets * m.dim)
    throw new RangeError('embedding size ≠ buckets × dim');
  const meta = JSON.stringify({ kind: m.kind, labels: m.labels, features: m.features, dim: m.dim });
  return modelProto(graph(m), meta);
}

function modelProto(g: ProtoWriter, meta: string): Uint8Array {
  return new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, 'agentwall')
    .message(7, g)
    .message(8, new ProtoWriter().string(1, '').int(2, OPSET))
    .message(14, new ProtoWriter().string(1, METADATA_KEY).string(2, meta))
    .finish();
}

/** A fixed random projection of the hashed n-gram bag (src/ml/embedding.ts makes the table). */
export interface ProjectionEmbedding {
  readonly features: FeaturiserOptions;
  readonly dim: number;
  /** Row-major [features.buckets, dim], each entry −1 or +1. */
  readonly table: Int8Array;
  /** Anything else the metadata entry should record (e.g. the table's seed). */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/**
 *   ids ─ Gather(table int8 [V, D]) ─ Cast(float) ─ bag [N, L, D] ─┐
 *   mask ─ Unsqueeze(1) ─────────────────────────────────────────── MatMul ─ Squeeze(1) ─ sum [N, D]
 *   sum ─ sum / max(‖sum‖₂, 1e-12) ─ embedding float [N, D]
 *
 * The weighted sum is the masked mean up to the factor 1/Σmask, which the L2 normalisation removes,
 * so there is no Div by the count. An empty text gives the zero vector. The table is stored as int8
 * (±1): a quarter of float32's size, so 2^15 buckets × 256 dims fit in 8.4 MB.
 */
export function exportEmbeddingOnnx(e: ProjectionEmbedding): Uint8Array {
  if (e.table.length !== e.features.buckets * e.dim) throw new RangeError('table size ≠ buckets × dim');
  const g = new ProtoWriter();
  const nodes = [
    node('Gather', ['table', 'ids'], ['bag8']),
    node('Cast', ['bag8'], ['bag'], { to: FLOAT }),
    node('Unsqueeze', ['mask', 'axis_1'], ['weights']),
    node('MatMul', ['weights', 'bag'], ['summed3']),
    node('Squeeze', ['summed3', 'axis_1'], ['summed']),
    node('Mul', ['summed', 'summed'], ['squares']),
    node('ReduceSum', ['squares', 'axis_1'], ['norm2'], { keepdims: 1 }),
    node('Sqrt', ['norm2'], ['norm']),
    node('Max', ['norm', 'tiny'], ['denominator']),
    node('Div', ['summed', 'denominator'], ['embedding']),
  ];
  for (const n of nodes) g.message(1, n);
  g.string(2, 'agentwall_text_embedding');
  const raw = new Uint8Array(e.table.buffer, e.table.byteOffset, e.table.byteLength);
  g.message(5, tensor('table', [e.features.buckets, e.dim], INT8, raw));
  g.message(5, int64Tensor('axis_1', [1]));
  g.message(5, floatTensor('tiny', [], Float32Array.of(1e-12)));
  g.message(11, valueInfo('ids', INT64, ['batch', 'length']));
  g.message(11, valueInfo('mask', FLOAT, ['batch', 'length']));
  g.message(12, valueInfo('embedding', FLOAT, ['batch', e.dim]));
  const meta = JSON.stringify({ kind: 'embedding', features: e.features, dim: e.dim, ...e.meta });
  return modelProto(g, meta);
}

/**
 * The classifier head alone: `mean` float [N, D] ─ Gemm(W, b, transB) ─ Sigmoid | Softmax ─ scores.
 * For callers that compute the embedding-bag mean themselves (bench/ml.ts measures this split).
 */
export function exportHeadOnnx(m: TextClassifier): Uint8Array {
  const k = outputCount(m.kind, m.labels);
  const g = new ProtoWriter();
  g.message(1, node('Gemm', ['mean', 'weight', 'bias'], ['logits'], { transB: 1 }));
  g.message(1, node(m.kind === 'multiclass' ? 'Softmax' : 'Sigmoid', ['logits'], ['scores']));
  g.string(2, 'agentwall_classifier_head');
  g.message(5, floatTensor('weight', [k, m.dim], m.weight));
  g.message(5, floatTensor('bias', [k], m.bias));
  g.message(11, valueInfo('mean', FLOAT, ['batch', m.dim]));
  g.message(12, valueInfo('scores', FLOAT, ['batch', k]));
  const meta = JSON.stringify({ kind: m.kind, labels: m.labels, dim: m.dim, head: true });
  return modelProto(g, meta);
}

/**
 * Reads back a classifier this module exported (its metadata and float initializers), so the
 * weights of a shipped model can be used outside ONNX Runtime. Only the fields exportOnnx writes
 * are understood; anything else is an error.
 */
export function importOnnx(bytes: Uint8Array): TextClassifier {
  const model = fields(bytes);
  const graph = model.get(7)?.[0];
  const meta = model.get(14)?.map((b) => fields(b as Uint8Array));
  const entry = meta?.find((f) => utf8(f.get(1)?.[0]) === METADATA_KEY);
  if (!(graph instanceof Uint8Array) || entry === undefined) throw new Error('not an agentwall model');
  const m = JSON.parse(utf8(entry.get(2)?.[0])) as Pick<
    TextClassifier,
    'kind' | 'labels' | 'features' | 'dim'
  >;
  const floats = new Map<string, Float32Array>();
  for (const t of fields(graph).get(5) ?? []) {
    const f = fields(t as Uint8Array);
    const raw = f.get(9)?.[0];
    if (f.get(2)?.[0] === FLOAT && raw instanceof Uint8Array)
      floats.set(utf8(f.get(8)?.[0]), new Float32Array(new Uint8Array(raw).buffer)); // a copy: Buffer.slice is a view
  }
  const get = (name: string) => {
    const t = floats.get(name);
    if (t === undefined) throw new Error(`no ${name} initializer`);
    return t;
  };
  return { ...m, embedding: get('embedding'), weight: get('weight'), bias: get('bias') };
}

/** Top-level fields of one protobuf message: varints as numbers, length-delimited as bytes. */
function fields(buf: Uint8Array): Map<number, (number | Uint8Array)[]> {
  const out = new Map<number, (number | Uint8Array)[]>();
  let at = 0;
  const varint = (): number => {
    let [v, scale] = [0, 1];
    for (;;) {
      const b = buf[at++];
      if (b === undefined) throw new Error('truncated protobuf');
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
    }
  };
  while (at < buf.length) {
    const key = varint();
    const [field, wire] = [Math.floor(key / 8), key % 8];
    let value: number | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const n = varint();
      value = buf.subarray(at, at + n);
      at += n;
    } else throw new Error(`unexpected protobuf wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

function utf8(v: number | Uint8Array | undefined): string {
  return v instanceof Uint8Array ? new TextDecoder().decode(v) : '';
}
