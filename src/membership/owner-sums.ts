/**
 * The running digests of every owner a replica holds, in one table.
 *
 * Each owner takes a slot of two halves of DIGEST_BYTES bytes: the first XORs the first bytes of
 * the signatures of the owner's registrations (the live digest its heartbeats vouch for), the
 * second XORs the next bytes of the signatures of all its statements (the summary hash
 * anti-entropy compares). XOR keeps both current in O(1) per added or removed statement.
 *
 * Why a table: a typed array per owner costs about 200 bytes of object overhead for 32 bytes of
 * data, and a replica holds one per owner it knows: in a simulation of a large cluster (every
 * node a replica, all in one process) those arrays were a quarter of the heap. Slots are the
 * owner table's (owner-table.ts): `reset` readies one for a new owner.
 */
import { grown } from './columns.ts'

export class OwnerSums {
  readonly #digestBytes: number
  #bytes: Uint8Array

  constructor(digestBytes: number) {
    this.#digestBytes = digestBytes
    this.#bytes = new Uint8Array(0)
  }

  /** Zeroes the slot, growing the table to `capacity` slots if shorter. */
  reset(slot: number, capacity: number): void {
    const slotBytes = 2 * this.#digestBytes
    if (capacity * slotBytes > this.#bytes.length)
      this.#bytes = grown(this.#bytes, capacity * slotBytes)
    this.#bytes.fill(0, slot * slotBytes, (slot + 1) * slotBytes)
  }

  /** XORs bytes [half × digestBytes, (half + 1) × digestBytes) of `hash` into the same half of the slot. */
  xor(slot: number, half: 0 | 1, hash: Uint8Array): void {
    const offset = half * this.#digestBytes
    const start = slot * 2 * this.#digestBytes + offset
    for (let i = 0; i < this.#digestBytes; i++)
      this.#bytes[start + i] = (this.#bytes[start + i] as number) ^ (hash[offset + i] as number)
  }

  /** True when the half of the slot equals `digest`. */
  equals(slot: number, half: 0 | 1, digest: Uint8Array): boolean {
    if (digest.byteLength !== this.#digestBytes) return false
    const start = slot * 2 * this.#digestBytes + half * this.#digestBytes
    for (let i = 0; i < this.#digestBytes; i++)
      if (this.#bytes[start + i] !== digest[i]) return false
    return true
  }

  /** A copy of the half of the slot. */
  copy(slot: number, half: 0 | 1): Uint8Array {
    const start = slot * 2 * this.#digestBytes + half * this.#digestBytes
    return this.#bytes.slice(start, start + this.#digestBytes)
  }
}
