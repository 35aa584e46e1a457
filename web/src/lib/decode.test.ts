import { describe, expect, it } from 'vitest';
import { decodeOutputs, type Packing } from './decode';

// Packs like the circuit does (circuit.json's "rule"), written independently.
function pack(q: number[], p: Packing): string[] {
  const out: string[] = [];
  for (let k = 0; k < p.signals; k++) {
    let s = 0n;
    for (let i = 0; i < p.values_per_signal; i++) {
      const j = k * p.values_per_signal + i;
      if (j < q.length) s += BigInt(q[j] + p.offset) << BigInt(p.bits * i);
    }
    out.push(s.toString());
  }
  return out;
}

describe('decodeOutputs', () => {
  const p: Packing = { count: 3, scale: 4, bits: 10, offset: 512, values_per_signal: 2, signals: 2 };
  it('recovers signed outputs, their real values and the argmax', () => {
    const q = [-40, 17, 3];
    const d = decodeOutputs([...pack(q, p), '99'], p);
    expect(d.q).toEqual(q.map(BigInt));
    expect(d.values).toEqual([-2.5, 1.0625, 0.1875]);
    expect(d.predictedClass).toBe(1);
  });
  it('has no class for a single output', () => {
    const one = { ...p, count: 1, signals: 1 };
    expect(decodeOutputs(pack([5], one), one).predictedClass).toBeNull();
  });
  it('refuses signals that do not fit the packing', () => {
    expect(() => decodeOutputs(['1'], p)).toThrow(/needs 2/);
    const bad = pack([1, 2, 3], p);
    bad[1] = (BigInt(bad[1]) + (1n << 40n)).toString();
    expect(() => decodeOutputs(bad, p)).toThrow(/signal 1/);
  });
});
