/**
 * One decode and one verification per distinct message for the whole simulated cluster.
 *
 * Decoding a frame and opening (verifying + parsing) a signed statement are pure functions of
 * their bytes (and of the limits, which are the same for every simulated node), so sharing the
 * results between nodes is exact: every Mesh still runs the real receive path on the real
 * decoded values, it only skips recomputing what another node already computed.
 * - Frames: a broadcast hands the same Uint8Array to every receiver, so a WeakMap keyed by the
 *   array object finds the decode.
 * - Statements: each statement is opened once, from copies of its bytes (so that it does not
 *   keep a large anti-entropy frame alive), and remembered by the first 48 bits of its
 *   signature (a bounded FIFO map; a key collision only costs a verification). A decoded frame's
 *   gossip is pointed at the copy of every statement opened before (found by signature, with
 *   signature, owner and body bytes checked equal), and opening looks objects up by identity:
 *   the copies, and statements first seen in a broadcast frame that every receiver shares.
 *   Anti-entropy frames are unique to their receiver; their statements are found once, at
 *   decode, and their decoded objects are never remembered.
 */
import { bytesEqual, prefixKey } from '../src/membership/bytes.ts'
import { InvalidArgumentError } from '../src/membership/errors.ts'
import { decodeFrame, type FrameContent } from '../src/membership/frame.ts'
import type { SigningDomain } from '../src/membership/identity.ts'
import type { MembershipLimits } from '../src/membership/limits.ts'
import { openStatement, type Statement } from '../src/membership/statement.ts'
import type * as wire from '../src/membership/wire.ts'

/** How often the simulator's shared frame-decode and verification caches were hit. */
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
  #domain: SigningDomain | undefined

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
    for (const gossip of content.gossip) {
      const known = gossip.statement === undefined ? undefined : this.#known(gossip.statement)
      if (known !== undefined) gossip.statement = known.signed
    }
    this.#frames.set(bytes, content)
    return content
  }

  readonly openStatement = (
    signed: wire.SignedStatement,
    limits: MembershipLimits,
    domain: SigningDomain,
  ): Statement => {
    // Statements are remembered by their bytes alone: exact for the one cluster a codec serves.
    this.#domain ??= domain
    if (domain !== this.#domain && domain.cluster !== this.#domain.cluster)
      throw new InvalidArgumentError('a shared codec serves one cluster')
    const known = this.#byObject.get(signed) ?? this.#known(signed)
    if (known !== undefined) {
      this.stats.verifyHits++
      return known
    }
    this.stats.verifications++
    const statement = openStatement(
      {
        owner: signed.owner.slice(),
        body: signed.body.slice(),
        signature: signed.signature.slice(),
      },
      limits,
      domain,
    )
    this.#byObject.set(signed, statement)
    this.#byObject.set(statement.signed, statement)
    if (this.#bySignature.size >= this.#capacity) {
      const oldest = this.#bySignature.keys().next().value
      if (oldest !== undefined) this.#bySignature.delete(oldest)
    }
    this.#bySignature.set(prefixKey(signed.signature), statement)
    return statement
  }

  /** The statement opened before whose signed bytes equal these, if it is still remembered. */
  #known(signed: wire.SignedStatement): Statement | undefined {
    const candidate = this.#bySignature.get(prefixKey(signed.signature))
    return candidate !== undefined &&
      bytesEqual(candidate.signed.signature, signed.signature) &&
      bytesEqual(candidate.signed.body, signed.body) &&
      bytesEqual(candidate.signed.owner, signed.owner)
      ? candidate
      : undefined
  }
}
