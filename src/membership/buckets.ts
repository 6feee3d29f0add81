/**
 * Bucket fingerprints: what a bucketed anti-entropy exchange compares first.
 *
 * A replica's owners fall into 2^bits buckets by the leading bits of their key (keys are Ed25519
 * public keys, so buckets fill evenly). Each owner has an 8-byte fingerprint, the XOR of
 * pseudo-random terms: one for (owner key, incarnation), and 8 bytes of the signature of each
 * statement held, heartbeat included. Two replicas' fingerprints of an owner are equal exactly
 * when they hold the same statements of it at the same incarnation (up to a 2^-64 collision),
 * and so whenever their summaries (service-set.ts) are; a bucket's fingerprint is the XOR of its
 * owners'. XOR keeps the table current in O(1) per change.
 *
 * The table is kept at the finest resolution (MAX_BUCKET_BITS) and folded to the resolution a
 * digest asks for: a coarse bucket is the XOR of the fine buckets sharing its leading bits.
 *
 * Why: replicas that mostly agree (the usual case: a new connection between synced nodes, a
 * periodic exchange, the later exchanges after a heal) compare one fingerprint per bucket, about
 * 8 bytes per owner, and then summaries of the few buckets that differ, instead of a 60-byte
 * summary of every owner.
 */
import { InvalidArgumentError } from './errors.ts'

/** The finest bucket resolution: 4,096 buckets. */
export const MAX_BUCKET_BITS = 12
export const FINGERPRINT_BYTES = 8

/** The signature bytes that feed fingerprints (the others feed the live digest and summary hash). */
const SIGNATURE_OFFSET = 32
/** The key bytes that feed an owner's term (the leading ones pick its bucket). */
const KEY_OFFSET = 16

/** A set of buckets of one resolution, as the wire's bitmap: bucket i is bit i % 8 of byte i / 8. */
export interface BucketSet {
  readonly bits: number
  readonly bitmap: Uint8Array
}

/** The bucket of an owner key at `bits` (≤ MAX_BUCKET_BITS) bits of resolution. */
export function bucketOf(ownerKey: Uint8Array, bits: number): number {
  return (((ownerKey[0] as number) << 8) | (ownerKey[1] as number)) >>> (16 - bits)
}

/** True when the set holds the owner key's bucket. */
export function inBucketSet(set: BucketSet, ownerKey: Uint8Array): boolean {
  const bucket = bucketOf(ownerKey, set.bits)
  return (((set.bitmap[bucket >>> 3] as number) >>> (bucket & 7)) & 1) === 1
}

/** Bytes of the bitmap of a bucket set at `bits` bits. */
export function bitmapBytes(bits: number): number {
  return Math.ceil((1 << bits) / 8)
}

/** The resolution a digest of `owners` owners uses: about one owner per bucket. */
export function bucketBitsFor(owners: number): number {
  return Math.min(MAX_BUCKET_BITS, Math.ceil(Math.log2(Math.max(1, owners))))
}

export class BucketFingerprints {
  /** Two 32-bit lanes per fine bucket. */
  readonly #lanes = new Int32Array(2 << MAX_BUCKET_BITS)

  /** XORs 8 bytes of a statement's signature into (or out of) the fingerprint of its owner. */
  xorStatement(ownerKey: Uint8Array, signature: Uint8Array): void {
    this.#xor(
      ownerKey,
      readLane(signature, SIGNATURE_OFFSET),
      readLane(signature, SIGNATURE_OFFSET + 4),
    )
  }

  /** XORs the owner's (key, incarnation) term into (or out of) its fingerprint. */
  xorOwner(ownerKey: Uint8Array, incarnation: bigint): void {
    const low = Number(incarnation & 0xffff_ffffn) | 0
    const high = Number((incarnation >> 32n) & 0xffff_ffffn) | 0
    this.#xor(
      ownerKey,
      mix32(readLane(ownerKey, KEY_OFFSET) ^ low),
      // An odd constant keeps the two lanes apart when the key's lanes and the halves are equal.
      mix32(readLane(ownerKey, KEY_OFFSET + 4) ^ high ^ 0x5bd1e995),
    )
  }

  /** The fingerprints of every bucket at `bits` bits, 8 bytes each, in bucket order. */
  fingerprints(bits: number): Uint8Array {
    checkBits(bits)
    const out = new Uint8Array(FINGERPRINT_BYTES << bits)
    const view = new DataView(out.buffer)
    const group = 1 << (MAX_BUCKET_BITS - bits)
    for (let bucket = 0; bucket < 1 << bits; bucket++) {
      let low = 0
      let high = 0
      for (let fine = bucket * group; fine < (bucket + 1) * group; fine++) {
        low ^= this.#lanes[2 * fine] as number
        high ^= this.#lanes[2 * fine + 1] as number
      }
      view.setInt32(bucket * FINGERPRINT_BYTES, low, true)
      view.setInt32(bucket * FINGERPRINT_BYTES + 4, high, true)
    }
    return out
  }

  /** The buckets whose fingerprints differ from `remote`'s (of the same resolution), or undefined when none do. */
  differing(bits: number, remote: Uint8Array): BucketSet | undefined {
    const local = this.fingerprints(bits)
    let bitmap: Uint8Array | undefined
    for (let bucket = 0; bucket < 1 << bits; bucket++) {
      const at = bucket * FINGERPRINT_BYTES
      let same = true
      for (let i = at; i < at + FINGERPRINT_BYTES && same; i++) same = local[i] === remote[i]
      if (same) continue
      bitmap ??= new Uint8Array(bitmapBytes(bits))
      bitmap[bucket >>> 3] = (bitmap[bucket >>> 3] as number) | (1 << (bucket & 7))
    }
    return bitmap === undefined ? undefined : { bits, bitmap }
  }

  #xor(ownerKey: Uint8Array, low: number, high: number): void {
    const fine = bucketOf(ownerKey, MAX_BUCKET_BITS)
    this.#lanes[2 * fine] = (this.#lanes[2 * fine] as number) ^ low
    this.#lanes[2 * fine + 1] = (this.#lanes[2 * fine + 1] as number) ^ high
  }
}

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 0 || bits > MAX_BUCKET_BITS)
    throw new InvalidArgumentError(`bucket bits must be an integer in [0, ${MAX_BUCKET_BITS}]`)
}

/** Four bytes as a little-endian 32-bit lane. */
function readLane(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) |
    ((bytes[at + 1] as number) << 8) |
    ((bytes[at + 2] as number) << 16) |
    ((bytes[at + 3] as number) << 24)
  )
}

/** A bijective 32-bit mix (the finalizer of MurmurHash3), so structured inputs give spread-out terms. */
function mix32(value: number): number {
  let h = value
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h
}
