/**
 * Set fingerprints: an order-independent hash of a set of instances (key and revision), kept
 * incrementally as instances come and go, so comparing two nodes' sets is O(1). Two lanes of
 * 32-bit sums make an accidental match of different sets negligible.
 */

import type { Instance } from '../src/membership/types.ts'
import { formatVersion } from '../src/membership/version.ts'

export interface Fingerprint {
  count: number
  a: number
  b: number
}

const hashes = new WeakMap<Instance, readonly [number, number]>()

export function emptyFingerprint(): Fingerprint {
  return { count: 0, a: 0, b: 0 }
}

/** Adds (sign 1) or removes (sign −1) one instance. */
export function updateFingerprint(fp: Fingerprint, instance: Instance, sign: 1 | -1): void {
  const [a, b] = instanceHash(instance)
  fp.count += sign
  fp.a = (fp.a + sign * a) >>> 0
  fp.b = (fp.b + sign * b) >>> 0
}

export function addFingerprint(into: Fingerprint, other: Fingerprint): void {
  into.count += other.count
  into.a = (into.a + other.a) >>> 0
  into.b = (into.b + other.b) >>> 0
}

export function sameFingerprint(x: Fingerprint, y: Fingerprint): boolean {
  return x.count === y.count && x.a === y.a && x.b === y.b
}

function instanceHash(instance: Instance): readonly [number, number] {
  let h = hashes.get(instance)
  if (h === undefined) {
    const text = `${instance.key}\u0000${formatVersion(instance.revision)}`
    let a = 0x811c9dc5
    let b = 0x2545f491
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      a = Math.imul(a ^ c, 0x01000193)
      b = Math.imul(b + c, 0x5bd1e995) ^ (b >>> 15)
    }
    h = [a >>> 0, b >>> 0]
    hashes.set(instance, h)
  }
  return h
}
