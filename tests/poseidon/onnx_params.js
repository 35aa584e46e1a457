// onnx_params.js - the parameters of an ONNX model exactly as
// docs/COMMITMENTS.md ("The parameter commitment") defines them, read with
// our own minimal protobuf decoder (no ONNX library in node_modules): the
// weights and bias of every Gemm, MatMul and Conv node in the graph's order,
// quantized at the scales settings.json lists. Only what the fixtures use is
// decoded: float initializers (raw_data or float_data), node inputs and the
// float/int attributes; a BatchNormalization folded into its producer is
// not handled here (the fixtures tested have none).
'use strict';

// Protobuf wire format: [field number, wire type, value] triples of one message.
function fields(buf) {
  const out = [];
  let at = 0;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = buf[at++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (at < buf.length) {
    const key = Number(varint()), type = key & 7, field = key >> 3;
    if (type === 0) out.push([field, type, varint()]);
    else if (type === 1) { out.push([field, type, buf.subarray(at, at + 8)]); at += 8; }
    else if (type === 2) {
      const n = Number(varint());
      out.push([field, type, buf.subarray(at, at + n)]);
      at += n;
    } else if (type === 5) { out.push([field, type, buf.subarray(at, at + 4)]); at += 4; }
    else throw new Error(`protobuf wire type ${type} at byte ${at}`);
  }
  return out;
}

const text = b => Buffer.from(b).toString('utf8');
const floats = b => {
  const v = [];
  for (let i = 0; i + 4 <= b.length; i += 4) v.push(Buffer.from(b).readFloatLE(i));
  return v;
};

function tensor(buf) {
  const t = { dims: [], data: [], name: '', type: 0 };
  for (const [f, type, v] of fields(buf)) {
    if (f === 1) t.dims.push(...(type === 0 ? [Number(v)] : fields(v).map(x => Number(x[2]))));
    else if (f === 2) t.type = Number(v);
    else if (f === 4) t.data.push(...floats(v));   // packed, or one fixed32 value
    else if (f === 8) t.name = text(v);
    else if (f === 9) t.data = floats(v);
  }
  if (t.type !== 1) throw new Error(`initializer ${t.name}: only float tensors are read here`);
  return t;
}

function attribute(buf) {
  const a = { name: '' };
  for (const [f, , v] of fields(buf)) {
    if (f === 1) a.name = text(v);
    else if (f === 2) a.f = Buffer.from(v).readFloatLE(0);
    else if (f === 3) a.i = Number(BigInt.asIntN(64, v));
  }
  return a;
}

function node(buf) {
  const n = { inputs: [], outputs: [], name: '', op: '', attrs: {} };
  for (const [f, , v] of fields(buf)) {
    if (f === 1) n.inputs.push(text(v));
    else if (f === 2) n.outputs.push(text(v));
    else if (f === 3) n.name = text(v);
    else if (f === 4) n.op = text(v);
    else if (f === 5) { const a = attribute(v); n.attrs[a.name] = a; }
  }
  return n;
}

function readOnnx(bytes) {
  const graph = fields(bytes).find(([f]) => f === 7)[2];
  const nodes = [], inits = {};
  for (const [f, , v] of fields(graph)) {
    if (f === 1) nodes.push(node(v));
    else if (f === 5) { const t = tensor(v); inits[t.name] = t; }
  }
  return { nodes, inits };
}

// round(v * 2^s), halves away from zero, as an integer.
const quantize = (v, s) => BigInt(Math.sign(v) * Math.round(Math.abs(v) * 2 ** s));

// [{node, kind, values (BigInt)}] in commitment order; scales from settings'
// packing.params (docs/COMMITMENTS.md says how they follow from the scales).
function parameters(bytes, settings) {
  const { nodes, inits } = readOnnx(bytes);
  const listed = settings.packing.params;
  const out = [];
  const at = (name, kind) => listed.find(p => p.node === name && p.kind === kind);
  for (const n of nodes) {
    if (!['Gemm', 'MatMul', 'Conv'].includes(n.op)) continue;
    const wName = n.op === 'MatMul' ? n.inputs.find(i => inits[i]) : n.inputs[1];
    const alpha = n.op === 'Gemm' && n.attrs.alpha ? n.attrs.alpha.f : 1;
    const beta = n.op === 'Gemm' && n.attrs.beta ? n.attrs.beta.f : 1;
    const w = inits[wName], ws = at(n.name, 'weights');
    if (!ws) throw new Error(`settings.json lists no weights for ${n.name}`);
    out.push({ node: n.name, kind: 'weights', tensor: wName,
               values: w.data.map(v => quantize(alpha * v, ws.scale)) });
    const bName = n.op === 'MatMul' ? undefined : n.inputs[2];
    if (bName) {
      const b = inits[bName], bs = at(n.name, 'bias');
      // one per output column (Gemm) or channel (Conv): C broadcast
      out.push({ node: n.name, kind: 'bias', tensor: bName,
                 values: Array.from({ length: bs.count },
                                    (_, j) => quantize(beta * b.data[j % b.data.length], bs.scale)) });
    }
  }
  return out;
}

module.exports = { readOnnx, parameters };
