// snarkjs ships no types; the one call the app makes.
declare module 'snarkjs' {
  export const groth16: {
    verify(vk: unknown, publicSignals: unknown, proof: unknown, logger?: unknown): Promise<boolean>;
  };
}
