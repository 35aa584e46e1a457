// decode.ts - the prediction read from the proof's public signals, with the
// packing that circuit.json describes ("signal k = sum_i (q[k*per + i] +
// offset) * 2^(bits*i)", outputs first), so the page shows what was proven,
// not what the server says was predicted.

export interface Packing {
  count: number;
  scale: number;
  bits: number;
  offset: number;
  values_per_signal: number;
  signals: number;
}

export interface Decoded {
  /** Quantized outputs, as integers (signed). */
  q: bigint[];
  /** Real outputs: q / 2^scale. */
  values: number[];
  /** argmax when there is more than one output, else null. */
  predictedClass: number | null;
}

/** Decodes the outputs; throws naming the signal that does not fit the packing. */
export function decodeOutputs(publicSignals: string[], p: Packing): Decoded {
  if (publicSignals.length < p.signals)
    throw new Error(`public.json has ${publicSignals.length} signals, the packing needs ${p.signals}`);
  const bits = BigInt(p.bits);
  const mask = (1n << bits) - 1n;
  const offset = BigInt(p.offset);
  const q: bigint[] = [];
  for (let k = 0; k < p.signals; k++) {
    let s = BigInt(publicSignals[k]);
    for (let i = 0; i < p.values_per_signal && q.length < p.count; i++) {
      q.push((s & mask) - offset);
      s >>= bits;
    }
    if (s !== 0n) throw new Error(`public signal ${k} has bits beyond its packed values`);
  }
  if (q.length !== p.count) throw new Error(`decoded ${q.length} outputs, expected ${p.count}`);
  const values = q.map((v) => Number(v) / 2 ** p.scale);
  let predictedClass: number | null = null;
  if (q.length > 1) {
    predictedClass = 0;
    for (let i = 1; i < q.length; i++) if (q[i] > q[predictedClass]) predictedClass = i;
  }
  return { q, values, predictedClass };
}
