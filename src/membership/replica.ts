/**
 * A replica: the service set plus the receive path every driver shares. It turns gossip (a
 * signed statement and its age) into verified statements, merges them, and counts every outcome
 * and every rejection by its error code. Nothing a peer sends can make it throw.
 *
 * Verification is the expensive step, and the same statement arrives many times (push from
 * several neighbours, anti-entropy). Ed25519 signatures are deterministic, so an envelope whose
 * owner, body and signature equal one already verified is the same statement: a bounded cache
 * keyed by signature skips the second verification. A copy is worth keeping only while the set
 * holds its statement: one superseded (a newer version, the owner's next heartbeat), expired or
 * forgotten can at most come back stale. So once the cache passes twice what the set holds (and a
 * floor), entries whose statement the set no longer holds are dropped: the cache follows the live
 * state, not the number of statements ever received (a heartbeat a second per owner would fill
 * a cache bounded by count alone within the hour). `verifyCacheSize` stays the hard cap. A
 * driver that runs many replicas in one process (the simulator) may inject one shared
 * `openStatement` instead: opening is a pure function of the signed bytes, so a cache shared by
 * every replica is exact.
 */

import { Admission, emptyQuotaStats, type QuotaStats } from './admission.ts'
import { bytesEqual } from './bytes.ts'
import {
  GossipSdError,
  InvalidSignatureError,
  type RejectionCode,
  ReplayedStatementError,
  StaleVersionError,
} from './errors.ts'
import { FailedVerifications } from './failed-verifications.ts'
import { type SigningDomain, signingDomain } from './identity.ts'
import { type MembershipLimits, resolveLimits } from './limits.ts'
import { type ServiceChange, ServiceSet, type ServiceSetOptions } from './service-set.ts'
import { openStatement, type Statement } from './statement.ts'
import type * as wire from './wire.ts'

/** Verifies (for `domain`'s cluster) and parses a signed statement; throws a named error on bad input. */
export type StatementOpener = (
  signed: wire.SignedStatement,
  limits: MembershipLimits,
  domain: SigningDomain,
) => Statement

/** Options of a Replica. */
export interface ReplicaOptions extends ServiceSetOptions {
  /** Cluster whose signatures this replica accepts (see `SigningDomain`). @default 'default' */
  cluster?: string
  limits?: Partial<MembershipLimits>
  /** Verified statements remembered to skip re-verification of duplicates. @default 16384 */
  verifyCacheSize?: number
  /** Replaces the per-replica verify cache (for drivers that share one across replicas). @default undefined */
  openStatement?: StatementOpener
  /** This node's own owner ID: admission never refuses or evicts it (admission.ts). @default none */
  self?: string
}

/** What became of a received statement. */
export type ReceiveOutcome =
  | 'accepted'
  | 'refreshed'
  | 'duplicate'
  | 'expired-on-arrival'
  | 'rejected'

/** A received statement's outcome, the changes it made, and its error if rejected. */
export interface ReceiveResult {
  readonly outcome: ReceiveOutcome
  readonly changes: readonly ServiceChange[]
  readonly statement?: Statement
  readonly error?: GossipSdError
  /** Set when a heartbeat arrived that does not vouch for what this replica holds: sync needed. */
  readonly ownerOutOfSync?: string
}

/** Counts of received statements by outcome, and rejections by error code. */
export interface ReplicaStats {
  accepted: number
  refreshed: number
  duplicate: number
  expiredOnArrival: number
  /** Bad signatures recognised as ones that failed before, without verifying again. */
  knownBadSignatures: number
  rejected: Record<RejectionCode, number>
  /** Refusals by quota and evictions (admission.ts); each refusal is also an ERR_QUOTA rejection. */
  quota: QuotaStats
}

export function emptyRejectionCounts(): Record<RejectionCode, number> {
  return {
    ERR_MALFORMED: 0,
    ERR_TOO_LARGE: 0,
    ERR_BAD_SIGNATURE: 0,
    ERR_OWNER_MISMATCH: 0,
    ERR_UNKNOWN_SCHEMA: 0,
    ERR_STALE_VERSION: 0,
    ERR_TTL_OUT_OF_BOUNDS: 0,
    ERR_INVALID_ARGUMENT: 0,
    ERR_REPLAYED: 0,
    ERR_OUT_OF_RANGE: 0,
    ERR_PROTOCOL: 0,
    ERR_QUOTA: 0,
  }
}

const NONE: readonly ServiceChange[] = Object.freeze([])

/** Verified statements kept whatever the set holds, before entries it no longer holds are dropped. */
const VERIFY_CACHE_FLOOR = 1024

/** Bad statements remembered (see failed-verifications.ts): 32 bytes of digest each. */
const FAILED_CACHE_SIZE = 4096

/**
 * A node's copy of the service set: verifies, validates and merges statements, counting what it
 * drops.
 */
export class Replica {
  readonly set: ServiceSet
  /** Quotas, the memory budget and vouching (admission.ts). */
  readonly admission: Admission
  readonly limits: MembershipLimits
  readonly domain: SigningDomain
  readonly stats: ReplicaStats = {
    accepted: 0,
    refreshed: 0,
    duplicate: 0,
    expiredOnArrival: 0,
    knownBadSignatures: 0,
    rejected: emptyRejectionCounts(),
    quota: emptyQuotaStats(),
  }
  readonly #verified = new Map<string, Statement>()
  readonly #failed: FailedVerifications
  readonly #verifyCacheSize: number
  readonly #openStatement: StatementOpener | undefined

  constructor(options: ReplicaOptions = {}) {
    this.set = new ServiceSet({ ...options, onForget: (id) => this.admission.forget(id) })
    this.limits = resolveLimits(options.limits)
    const self = options.self ?? ''
    this.admission = new Admission(() => self, this.set, this.limits)
    this.stats.quota = this.admission.stats
    this.domain = signingDomain(options.cluster ?? 'default')
    this.#verifyCacheSize = options.verifyCacheSize ?? 16384
    this.#failed = new FailedVerifications(Math.min(this.#verifyCacheSize, FAILED_CACHE_SIZE))
    this.#openStatement = options.openStatement
  }

  /**
   * Verifies and merges one gossiped statement received at `now` (this replica's clock),
   * forwarded by the neighbour `from` (admission.ts: its quotas; undefined for none).
   */
  receive(gossip: wire.Gossip, now: number, from?: string): ReceiveResult {
    let statement: Statement
    try {
      statement = this.#open(gossip.statement)
    } catch (err) {
      return this.reject(err)
    }
    const admitted = this.admission.check(statement, from)
    if (admitted.error !== undefined) {
      const refused = this.reject(admitted.error, statement)
      return admitted.changes.length === 0 ? refused : { ...refused, changes: admitted.changes }
    }
    const result = this.applyVerified(statement, gossip.ageMs, now)
    this.admission.merged(statement, from)
    return admitted.changes.length === 0
      ? result
      : { ...result, changes: [...admitted.changes, ...result.changes] }
  }

  /**
   * Merges a statement that is already verified (one this node signed itself, for instance),
   * reported `ageMs` old by whoever sent it. A registration older than the owner's newest
   * heartbeat held here is refreshed no later than that heartbeat: only the owner's own newer
   * statements prove it still lives, never a relay's age. When that heartbeat (of the same
   * incarnation) vouches for exactly what this replica holds, a registration of a key it holds
   * nothing of was withdrawn before it, and is rejected as a replay.
   */
  applyVerified(statement: Statement, ageMs: number, now: number): ReceiveResult {
    let refreshedAt = now - ageMs
    let lifetime: number
    if (statement.kind === 'registration') {
      const heartbeat = this.set.coveringHeartbeat(statement)
      if (
        heartbeat?.inSync === true &&
        heartbeat.version.incarnation === statement.version.incarnation &&
        this.set.get(statement.key) === undefined
      )
        return this.reject(
          new ReplayedStatementError(
            `registration ${statement.instance.service}/${statement.instance.id} of ${statement.owner} was withdrawn before its owner's newest heartbeat`,
          ),
          statement,
        )
      if (heartbeat !== undefined && refreshedAt > heartbeat.refreshedAt)
        refreshedAt = heartbeat.refreshedAt
      lifetime = Math.max(statement.instance.ttlMs, heartbeat?.leaseMs ?? 0)
    } else {
      lifetime =
        statement.kind === 'tombstone'
          ? this.set.tombstoneRetentionOf(statement)
          : this.set.retentionOf(statement)
    }
    if (now - refreshedAt >= lifetime) {
      this.stats.expiredOnArrival++
      return { outcome: 'expired-on-arrival', changes: NONE, statement }
    }
    const result = this.set.apply(statement, refreshedAt, now)
    if (result.outcome === 'stale') {
      return this.reject(
        new StaleVersionError(`${statement.kind} of ${statement.owner} is older than the one held`),
        statement,
      )
    }
    this.stats[result.outcome]++
    const outOfSync =
      statement.kind === 'heartbeat' &&
      result.outcome === 'accepted' &&
      !this.set.inSyncWith(statement.owner)
    return outOfSync
      ? {
          outcome: result.outcome,
          changes: result.changes,
          statement,
          ownerOutOfSync: statement.owner,
        }
      : { outcome: result.outcome, changes: result.changes, statement }
  }

  /** Counts a rejection; non-GossipSdError values count as malformed input. */
  reject(err: unknown, statement?: Statement): ReceiveResult {
    const error: GossipSdError =
      err instanceof GossipSdError ? err : new GossipSdError('ERR_MALFORMED', String(err))
    this.stats.rejected[error.code]++
    return statement === undefined
      ? { outcome: 'rejected', changes: NONE, error }
      : { outcome: 'rejected', changes: NONE, error, statement }
  }

  /** Expires what has run out its time; returns the expired instances. */
  expire(now: number): ServiceChange[] {
    return this.set.expire(now)
  }

  #open(signed: wire.SignedStatement | undefined): Statement {
    if (signed === undefined)
      throw new GossipSdError('ERR_MALFORMED', 'gossip carries no statement')
    if (this.#openStatement !== undefined)
      return this.#openStatement(signed, this.limits, this.domain)
    const cacheKey = Buffer.from(signed.signature).toString('base64')
    const cached = this.#verified.get(cacheKey)
    if (
      cached !== undefined &&
      bytesEqual(cached.signed.body, signed.body) &&
      bytesEqual(cached.signed.owner, signed.owner)
    ) {
      return cached
    }
    if (this.#failed.has(cacheKey, signed)) {
      this.stats.knownBadSignatures++
      throw new InvalidSignatureError('the same statement failed to verify before')
    }
    let statement: Statement
    try {
      statement = openStatement(signed, this.limits, this.domain)
    } catch (err) {
      if (err instanceof InvalidSignatureError) this.#failed.add(cacheKey, signed)
      throw err
    }
    if (this.#verified.size >= VERIFY_CACHE_FLOOR + 2 * (this.set.size + this.set.ownerCount))
      this.#dropUnheld()
    if (this.#verified.size >= this.#verifyCacheSize) {
      const oldest = this.#verified.keys().next().value
      if (oldest !== undefined) this.#verified.delete(oldest)
    }
    this.#verified.set(cacheKey, statement)
    return statement
  }

  /** Verified statements remembered (at most `verifyCacheSize`; see the top of this file). */
  get verifiedCached(): number {
    return this.#verified.size
  }

  /** Forgets every verified statement the set does not hold now. */
  #dropUnheld(): void {
    for (const [key, statement] of this.#verified)
      if (!this.set.holdsStatement(statement)) this.#verified.delete(key)
  }
}
