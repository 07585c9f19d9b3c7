/**
 * Writes a TextClassifier as an ONNX ModelProto (IR 8, opset 17), the layout docs/models.md shows:
 *
 *   ids  int64 [N, L] ─ Gather(embedding [V, D]) ──────────── bag [N, L, D] ─┐
 *   mask float [N, L] ─ Unsqueeze(1) ─ weights [N, 1, L] ─────────────────── MatMul ─ Squeeze(1) ─┐
 *   mask ─ ReduceSum(1, keepdims) ─ Max(·, 1) ─────────────────────────────────────────────────── Div
 *        ─ mean [N, D] ─ Gemm(W [K, D], b [K], transB) ─ Sigmoid | Softmax ─ scores float [N, K]
 *
 * The mask is a per-position weight (1, or an id's count when the caller merged duplicates), so
 * the graph computes Σ wᵢ·rowᵢ / max(Σ wᵢ, 1). MatMul does the weighted sum in one op; a Mul then
 * ReduceSum measured ~30% slower in ORT 1.30 on the CPU because it materialises [N, L, D] twice.
 * Padding positions carry id 0 and mask 0, so they add nothing; max(count, 1) makes an empty text
 * score from the bias alone, exactly as model.ts's forward does.
 * Field numbers are from onnx/onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).
 */
import type { TextClassifier } from './model.js';
import { outputCount } from './model.js';
import { ProtoWriter } from './proto-writer.js';

const IR_VERSION = 8; // ONNX 1.10+, the IR that opset 17 models use; ORT 1.30 reads up to IR 11
const OPSET = 17;
const FLOAT = 1;
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
    node(m.kind === 'binary' ? 'Sigmoid' : 'Softmax', ['logits'], ['scores']),
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
  return new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, 'agentwall')
    .message(7, graph(m))
    .message(8, new ProtoWriter().string(1, '').int(2, OPSET))
    .message(14, new ProtoWriter().string(1, METADATA_KEY).string(2, meta))
    .finish();
}
