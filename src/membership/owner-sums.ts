/**
 * The running digests of the owners a replica holds.
 *
 * An owner has two: the live digest XORs the first DIGEST_BYTES bytes of the signatures of its
 * registrations (what its heartbeats vouch for), the summary hash XORs the next DIGEST_BYTES of
 * the signatures of all its statements (what anti-entropy compares). A signature is a
 * pseudo-random function of its statement, unique to it, and already in memory.
 *
 * Most owners hold a handful of statements, and a replica holds thousands of owners: in a
 * simulation of a large cluster (every node a replica, all in one process) 32 bytes a (replica,
 * owner) pair were a fifth of the memory. So the digests of an owner holding up to KEEP_ABOVE
 * statements are computed from its entries when asked (a few XORs of 16 bytes), and only an
 * owner holding more keeps them, current in O(1) per added or removed statement.
 */
import type { EntryLists } from './entry-lists.ts'
import { END } from './entry-lists.ts'
import type { InstanceStatement } from './statement.ts'

/** Which digest: the live digest, or the summary hash. */
export type DigestHalf = 0 | 1
export const LIVE: DigestHalf = 0
export const SUMMARY: DigestHalf = 1

const KEEP_ABOVE = 16

export class OwnerSums {
  readonly #digestBytes: number
  readonly #entries: EntryLists
  /** Both digests (live, then summary) of the owners holding more than KEEP_ABOVE statements. */
  readonly #kept = new Map<number, Uint8Array>()
  readonly #scratch: Uint8Array

  constructor(digestBytes: number, entries: EntryLists) {
    this.#digestBytes = digestBytes
    this.#entries = entries
    this.#scratch = new Uint8Array(digestBytes)
  }

  /** Notes `s`, just added to the owner's entries. */
  added(owner: number, s: InstanceStatement): void {
    const kept = this.#kept.get(owner)
    if (kept !== undefined) this.#xor(kept, s)
    else if (this.#entries.count(owner) > KEEP_ABOVE)
      this.#kept.set(owner, this.#computeBoth(owner))
  }

  /** Notes `s`, just taken from the owner's entries. */
  removed(owner: number, s: InstanceStatement): void {
    const kept = this.#kept.get(owner)
    if (kept !== undefined) this.#xor(kept, s)
  }

  /** Drops what is kept of the owner in `slot` (it was forgotten, or the slot is new). */
  forget(owner: number): void {
    this.#kept.delete(owner)
  }

  /** True when the owner's digest equals `digest`. */
  equals(owner: number, half: DigestHalf, digest: Uint8Array): boolean {
    const n = this.#digestBytes
    if (digest.byteLength !== n) return false
    const kept = this.#kept.get(owner)
    const source = kept ?? this.#compute(owner, half, this.#scratch, 0)
    const start = kept === undefined ? 0 : half * n
    for (let i = 0; i < n; i++) if (source[start + i] !== digest[i]) return false
    return true
  }

  /** A copy of the owner's digest. */
  copy(owner: number, half: DigestHalf): Uint8Array {
    const n = this.#digestBytes
    const kept = this.#kept.get(owner)
    if (kept !== undefined) return kept.slice(half * n, (half + 1) * n)
    return this.#compute(owner, half, new Uint8Array(n), 0)
  }

  #computeBoth(owner: number): Uint8Array {
    const both = new Uint8Array(2 * this.#digestBytes)
    this.#compute(owner, LIVE, both, 0)
    this.#compute(owner, SUMMARY, both, this.#digestBytes)
    return both
  }

  /** Writes the owner's digest into out[at, at + digestBytes); returns `out`. */
  #compute(owner: number, half: DigestHalf, out: Uint8Array, at: number): Uint8Array {
    const n = this.#digestBytes
    out.fill(0, at, at + n)
    const entries = this.#entries
    for (let e = entries.first(owner); e !== END; e = entries.next(e)) {
      const s = entries.statement(e)
      if (half === LIVE && s.kind !== 'registration') continue
      const hash = s.signed.signature
      const offset = half * n
      for (let i = 0; i < n; i++)
        out[at + i] = (out[at + i] as number) ^ (hash[offset + i] as number)
    }
    return out
  }

  #xor(kept: Uint8Array, s: InstanceStatement): void {
    const n = this.#digestBytes
    const hash = s.signed.signature
    for (let i = n; i < 2 * n; i++) kept[i] = (kept[i] as number) ^ (hash[i] as number)
    if (s.kind === 'registration')
      for (let i = 0; i < n; i++) kept[i] = (kept[i] as number) ^ (hash[i] as number)
  }
}
