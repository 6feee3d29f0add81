/**
 * The local owner: the only writer of this node's instances. It numbers every statement it
 * signs with (incarnation, counter), keeps each instance's creation time and leadership claim
 * across updates (what election ranks by), and signs heartbeats that vouch for its live
 * registrations by digest.
 *
 * The incarnation must exceed every earlier incarnation of the same identity. Drivers pass the
 * start time in ms (or a persisted counter); `nextIncarnation` picks max(now, previous + 1).
 */
import { InvalidArgumentError, OwnerMismatchError } from './errors.ts'
import type { Signer, SigningDomain } from './identity.ts'
import type { MembershipLimits } from './limits.ts'
import type { ServiceSet } from './service-set.ts'
import {
  type HeartbeatStatement,
  MAX_LEADER_TERM,
  type RegistrationStatement,
  signStatement,
  type TombstoneStatement,
  validateInstance,
  validateTtl,
} from './statement.ts'
import { type InstanceSpec, instanceKey } from './types.ts'
import type { Version } from './version.ts'

/**
 * An incarnation above `previous` and not below the clock: a restart outranks every earlier
 * statement.
 */
export function nextIncarnation(now: number, previous?: bigint): bigint {
  const fromClock = BigInt(Math.max(1, Math.floor(now)))
  return previous !== undefined && previous >= fromClock ? previous + 1n : fromClock
}

/**
 * The owner this node is: signs its registrations, tombstones and heartbeats with rising versions.
 */
export class LocalOwner {
  readonly signer: Signer
  readonly incarnation: bigint
  readonly limits: MembershipLimits
  readonly defaultTtlMs: number
  /** The cluster this owner signs for. */
  readonly domain: SigningDomain
  #counter = 0n
  readonly #createdAt = new Map<string, number>()
  readonly #leaderTerm = new Map<string, number>()

  constructor(
    signer: Signer,
    incarnation: bigint,
    limits: MembershipLimits,
    defaultTtlMs: number,
    domain: SigningDomain,
  ) {
    validateTtl(defaultTtlMs, limits)
    this.domain = domain
    this.signer = signer
    this.incarnation = incarnation
    this.limits = limits
    this.defaultTtlMs = defaultTtlMs
  }

  get ownerId(): string {
    return this.signer.ownerId
  }

  /**
   * Signs a registration (create or update). An update keeps the instance's leadership claim
   * unless `leaderTerm` sets a new one. Throws a named error on invalid input.
   */
  register(spec: InstanceSpec, now: number, leaderTerm?: number): RegistrationStatement {
    const ttlMs = spec.ttlMs ?? this.defaultTtlMs
    validateInstance({ ...spec, ttlMs }, this.limits)
    if (
      leaderTerm !== undefined &&
      !(Number.isInteger(leaderTerm) && leaderTerm >= 0 && leaderTerm <= MAX_LEADER_TERM)
    )
      throw new InvalidArgumentError(`leaderTerm must be an integer from 0 to ${MAX_LEADER_TERM}`)
    const key = instanceKey(this.ownerId, spec.service, spec.id)
    const createdAt = this.#createdAt.get(key) ?? Math.floor(now)
    const term = leaderTerm ?? this.#leaderTerm.get(key) ?? 0
    const statement = signStatement(
      this.signer,
      this.#nextVersion(),
      { registration: { ...spec, createdAt, ttlMs, leaderTerm: term } },
      this.limits,
      this.domain,
    ) as RegistrationStatement
    this.#createdAt.set(key, createdAt)
    this.#leaderTerm.set(key, term)
    return statement
  }

  /** Signs a tombstone for one of this owner's instances. */
  deregister(owner: string, service: string, id: string, ttlMs: number): TombstoneStatement {
    if (owner !== this.ownerId) {
      throw new OwnerMismatchError(
        `instance ${service}/${id} belongs to ${owner}, not to this node`,
      )
    }
    this.#createdAt.delete(instanceKey(owner, service, id))
    this.#leaderTerm.delete(instanceKey(owner, service, id))
    return signStatement(
      this.signer,
      this.#nextVersion(),
      { tombstone: { service, id, ttlMs } },
      this.limits,
      this.domain,
    ) as TombstoneStatement
  }

  /**
   * Signs a heartbeat vouching for this owner's live registrations in `set`, keeping them alive
   * for `leaseMs` at receivers when that exceeds their TTLs (0: their TTLs alone), and listing
   * `neighbours` (attestation.ts `listNeighbours`; none when omitted).
   */
  heartbeat(set: ServiceSet, leaseMs = 0, neighbours?: Uint8Array): HeartbeatStatement {
    return signStatement(
      this.signer,
      this.#nextVersion(),
      {
        heartbeat: {
          ownerDigest: set.liveDigest(this.ownerId),
          count: set.liveCount(this.ownerId),
          leaseMs,
          ...(neighbours === undefined ? {} : { neighbours }),
        },
      },
      this.limits,
      this.domain,
    ) as HeartbeatStatement
  }

  #nextVersion(): Version {
    this.#counter += 1n
    return { incarnation: this.incarnation, counter: this.#counter }
  }
}
