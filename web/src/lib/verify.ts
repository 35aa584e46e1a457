// verify.ts - Groth16 verification in the browser. snarkjs is imported only
// here, dynamically, so it is its own chunk that only the proof page loads.

/** true when the proof verifies for these public signals under this key. */
export async function verifyGroth16(vk: unknown, publicSignals: unknown, proof: unknown): Promise<boolean> {
  const snarkjs = await import('snarkjs');
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  return snarkjs.groth16.verify(vk, publicSignals, proof, quiet);
}
