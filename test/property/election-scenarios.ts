/** The parts of a generated election scenario that every election property shares. */
import fc from 'fast-check'

/** Seed and link timing of the in-memory network. */
export const linkArbs = {
  seed: fc.nat(1_000_000),
  latencyMs: fc.integer({ min: 1, max: 20 }),
  jitterMs: fc.integer({ min: 0, max: 10 }),
}

/** A clock offset for each of the (up to) five nodes, within ±`maxMs`. */
export function offsetsArb(maxMs: number): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: -maxMs, max: maxMs }), { minLength: 5, maxLength: 5 })
}

/** The `startCluster` options a generated scenario fixes for size and links. */
export function clusterBase(s: {
  size: number
  seed: number
  latencyMs: number
  jitterMs: number
}): { size: number; seed: number; latencyMs: number; jitterMs: number } {
  return { size: s.size, seed: s.seed, latencyMs: s.latencyMs, jitterMs: s.jitterMs }
}
