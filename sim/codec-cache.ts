/**
 * One decode and one verification per distinct message for the whole simulated cluster.
 *
 * Decoding a frame and opening (verifying + parsing) a signed statement are pure functions of
 * their bytes (and of the limits, which are the same for every simulated node), so sharing the
 * results between nodes is exact: every Mesh still runs the real receive path on the real
 * decoded values, it only skips recomputing what another node already computed.
 * - Frames: a broadcast hands the same Uint8Array to every receiver, so a WeakMap keyed by the
 *   array object finds the decode.
 * - Statements: the same SignedStatement object reaches every receiver of one frame (WeakMap);
 *   a statement re-encoded by anti-entropy arrives in a new object and is found by the first
 *   48 bits of its signature, after checking signature, owner and body bytes are equal (a
 *   bounded FIFO map; a key collision only costs a verification).
 * - Decoded byte fields are views into the frame they arrived in; a cached statement is opened
 *   from copies so that it does not keep a large anti-entropy frame alive.
 */
import { decodeFrame, type FrameContent } from '../src/membership/frame.ts'
import type { MembershipLimits } from '../src/membership/limits.ts'
import { bytesEqual, openStatement, type Statement } from '../src/membership/statement.ts'
import type * as wire from '../src/membership/wire.ts'

export interface CodecCacheStats {
  frameDecodes: number
  frameHits: number
  verifications: number
  verifyHits: number
}

export class SharedCodec {
  readonly stats: CodecCacheStats = {
    frameDecodes: 0,
    frameHits: 0,
    verifications: 0,
    verifyHits: 0,
  }
  readonly #frames = new WeakMap<Uint8Array, FrameContent>()
  readonly #byObject = new WeakMap<wire.SignedStatement, Statement>()
  readonly #bySignature = new Map<number, Statement>()
  readonly #capacity: number

  constructor(capacity = 1 << 16) {
    this.#capacity = capacity
  }

  readonly decodeFrame = (bytes: Uint8Array, limits: MembershipLimits): FrameContent => {
    const cached = this.#frames.get(bytes)
    if (cached !== undefined) {
      this.stats.frameHits++
      return cached
    }
    this.stats.frameDecodes++
    const content = decodeFrame(bytes, limits)
    this.#frames.set(bytes, content)
    return content
  }

  readonly openStatement = (signed: wire.SignedStatement, limits: MembershipLimits): Statement => {
    const byObject = this.#byObject.get(signed)
    if (byObject !== undefined) {
      this.stats.verifyHits++
      return byObject
    }
    const key = signatureKey(signed.signature)
    const bySignature = this.#bySignature.get(key)
    if (
      bySignature !== undefined &&
      bytesEqual(bySignature.signed.signature, signed.signature) &&
      bytesEqual(bySignature.signed.body, signed.body) &&
      bytesEqual(bySignature.signed.owner, signed.owner)
    ) {
      this.stats.verifyHits++
      this.#byObject.set(signed, bySignature)
      return bySignature
    }
    this.stats.verifications++
    const statement = openStatement(
      {
        owner: signed.owner.slice(),
        body: signed.body.slice(),
        signature: signed.signature.slice(),
      },
      limits,
    )
    this.#byObject.set(signed, statement)
    if (this.#bySignature.size >= this.#capacity) {
      const oldest = this.#bySignature.keys().next().value
      if (oldest !== undefined) this.#bySignature.delete(oldest)
    }
    this.#bySignature.set(key, statement)
    return statement
  }
}

/** The first 48 bits of a signature as a number: a cheap map key (equality is checked after). */
function signatureKey(signature: Uint8Array): number {
  let key = 0
  for (let i = 0; i < 6 && i < signature.length; i++) key = key * 256 + (signature[i] as number)
  return key
}
