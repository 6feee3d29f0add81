/**
 * Statements whose signature failed to verify, remembered so that the same bad statement sent
 * again costs a hash instead of a verification (an Ed25519 check is about 50 µs; a peer that
 * repeats one bad statement across many frames would otherwise buy one per copy).
 *
 * Keyed by the signature; each entry holds the SHA-256 of the owner key and body, not the bytes
 * (a hostile body can be as large as a statement may be), so a hit is exact: the same owner,
 * body and signature. Bounded: the oldest entry makes room for a new one.
 */
import { createHash } from 'node:crypto'
import type * as wire from './wire.ts'

export class FailedVerifications {
  readonly #capacity: number
  readonly #digests = new Map<string, Buffer>()

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  /** True when exactly this statement (found by `key`, its signature) failed before. */
  has(key: string, signed: wire.SignedStatement): boolean {
    return this.#digests.get(key)?.equals(digestOf(signed)) === true
  }

  add(key: string, signed: wire.SignedStatement): void {
    if (this.#capacity === 0) return
    if (this.#digests.size >= this.#capacity) {
      const oldest = this.#digests.keys().next().value
      if (oldest !== undefined) this.#digests.delete(oldest)
    }
    this.#digests.set(key, digestOf(signed))
  }
}

function digestOf(signed: wire.SignedStatement): Buffer {
  return createHash('sha256').update(signed.owner).update(signed.body).digest()
}
