/**
 * The service set: a state-based CRDT of signed statements.
 *
 * State
 * - One last-writer-wins register per instance key (owner, service, id) holding the newest
 *   registration or tombstone. "Newest" is the owner's own version (incarnation, counter): only
 *   the owner writes its keys, so no cross-node clock ever decides a conflict. Two different
 *   bodies at one version (an equivocating owner) resolve to the larger signature, so replicas
 *   still agree.
 * - Per owner: the highest incarnation seen (statements of lower incarnations are dropped, so a
 *   restarted owner is never shadowed by its own stale records) and the newest heartbeat.
 * - Per statement: `refreshedAt`, the receiver-clock time of the owner's last refresh this replica
 *   knows of. Equal versions merge by max. Peers exchange ages (durations), never timestamps, so
 *   clock skew between nodes cannot resurrect or kill records.
 *
 * Merge (apply of every statement of the other replica) is therefore a join: commutative,
 * associative and idempotent. Expiry is separate and local: a registration dies when its
 * effective refresh time plus its TTL has passed on this replica's clock.
 *
 * Heartbeats refresh without touching the merged state. A heartbeat vouches for its owner's
 * registrations when this replica's live registrations of that owner hash to its digest (same
 * incarnation); each replica remembers the newest heartbeat that vouched (`vouched`), and that
 * heartbeat keeps covering the registrations that existed at its version. A replica that misses
 * an update or a tombstone sees a mismatch and asks for a sync; meanwhile its records of that
 * owner still live a full TTL from the last heartbeat that vouched for them, so one lost frame
 * causes no flap, while records nobody vouches for any more run out their TTL. `vouched` is local
 * expiry bookkeeping, not merged state, so merge stays a pure join.
 *
 * Leases. An owner in a large cluster spaces its heartbeats out (so each node receives a bounded
 * number per second) and signs a lease into each: the registrations a heartbeat vouches for live
 * max(TTL, lease) from it. A registration forwarded with an age beyond its TTL is still taken when
 * the owner's newest heartbeat here covers it with a lease that has not run out.
 *
 * Tombstones are kept for TOMBSTONE_RETENTION_FACTOR times the TTL of what they delete, which
 * outlives every copy of the deleted registration (no copy is refreshed after the delete).
 */
import { BucketFingerprints, type BucketSet, bucketBitsFor, inBucketSet } from './buckets.ts'
import { OwnerEntries } from './owner-entries.ts'
import { OwnerSums } from './owner-sums.ts'
import type {
  HeartbeatStatement,
  InstanceStatement,
  RegistrationStatement,
  Statement,
} from './statement.ts'
import { OWNER_DIGEST_BYTES } from './statement.ts'
import { type Instance, ownerOfKey } from './types.ts'
import { compareVersions } from './version.ts'
import type * as wire from './wire.ts'

export const TOMBSTONE_RETENTION_FACTOR = 2

/** One statement as this replica holds it. */
export interface Entry<S extends Statement = Statement> {
  readonly statement: S
  /** Receiver-clock ms of the owner's last refresh of this statement that this replica knows of. */
  readonly refreshedAt: number
}

/** A change of the live instance set. */
export type ServiceChange =
  | { readonly type: 'created'; readonly instance: Instance }
  | { readonly type: 'updated'; readonly instance: Instance; readonly previous: Instance }
  | { readonly type: 'deleted'; readonly instance: Instance }
  | { readonly type: 'expired'; readonly instance: Instance }

export type ApplyOutcome = 'accepted' | 'refreshed' | 'duplicate' | 'stale'

export interface ApplyResult {
  readonly outcome: ApplyOutcome
  readonly changes: readonly ServiceChange[]
}

interface OwnerState {
  readonly id: string
  readonly ownerKey: Uint8Array
  incarnation: bigint
  heartbeat: Entry<HeartbeatStatement> | undefined
  /** The newest heartbeat seen to vouch for this replica's view of the owner (local, not merged). */
  vouched: Entry<HeartbeatStatement> | undefined
  /** The owner's registrations and tombstones held, by instance key. */
  readonly entries: OwnerEntries
  /** The owner's slot in the replica's running digests (owner-sums.ts): live digest, summary hash. */
  readonly sums: number
  liveCount: number
  /** Caches: the highest counter held, and a lower bound of the next expiry time. */
  maxCounter: bigint | undefined
  deadline: number | undefined
  /** The last `delta` call whose remote digest listed this owner (see #deltaCalls). */
  listedIn: number
}

/**
 * The per-owner summary exchanged by anti-entropy: the wire fields (owner key, incarnation,
 * heartbeat counter, highest counter among the owner's registrations and tombstones held, and
 * the summary hash) plus the owner's peer ID.
 */
export interface OwnerSummary extends Readonly<wire.OwnerSummary> {
  /**
   * Undefined in a received summary whose key this process has not converted recently (see
   * `knownOwnerIdOf`): no replica here holds that owner, so it is answered as one held by none.
   */
  readonly ownerId: string | undefined
}

/**
 * What anti-entropy compares: a summary of every owner a replica holds, or (`partial`) of only
 * some, when owners left out are ones the receiver need not hear about, except those of the
 * `covered` buckets: a partial digest answering a bucket digest lists every owner it holds in
 * the buckets that differ, so one of those it does not list is one it lacks.
 */
export interface Digest {
  readonly owners: readonly OwnerSummary[]
  readonly partial: boolean
  readonly covered?: BucketSet | undefined
}

/** The opening of a bucketed exchange (buckets.ts): the fingerprints of 2^bits buckets. */
export interface BucketDigest {
  readonly bits: number
  readonly fingerprints: Uint8Array
}

export interface ServiceSetOptions {
  /**
   * How long an owner's newest heartbeat (and with it the owner's incarnation floor, which
   * rejects replays of older incarnations) is remembered after its last refresh.
   * @default 600000 (10 min)
   */
  ownerRetentionMs?: number
}

const NO_CHANGES: readonly ServiceChange[] = Object.freeze([])

/** The halves of an owner's running digests: the live digest, the summary hash. */
const LIVE = 0
const SUMMARY = 1

/** The summary of an owner a replica holds nothing of. */
const EMPTY_SUMMARY = Object.freeze({
  incarnation: 0n,
  heartbeatCounter: 0n,
  maxCounter: 0n,
  statementsHash: new Uint8Array(0),
})

export class ServiceSet {
  readonly ownerRetentionMs: number
  /** Registrations and tombstones held, over all owners. */
  #size = 0
  readonly #owners = new Map<string, OwnerState>()
  /**
   * Keys of live registrations by service, built on the first query by service and kept from
   * then on: replicas never queried by service (relays, the simulator's thousands) skip it.
   */
  #byService: Map<string, Set<string>> | undefined
  readonly #sums = new OwnerSums(OWNER_DIGEST_BYTES)
  readonly #buckets = new BucketFingerprints()
  /** A lower bound of every owner's deadline (cleared or lowered with any of them): no sweep before it. */
  #nextDue = Number.NEGATIVE_INFINITY
  /** Counts `delta` calls, so each marks the owners its digest lists without a set of them. */
  #deltaCalls = 0

  constructor(options: ServiceSetOptions = {}) {
    this.ownerRetentionMs = options.ownerRetentionMs ?? 600_000
  }

  /** Merges one verified statement. Never throws; the outcome says what happened. */
  apply(statement: Statement, refreshedAt: number): ApplyResult {
    const owner = this.#ownerFor(statement)
    const { incarnation } = statement.version
    if (incarnation < owner.incarnation) return { outcome: 'stale', changes: NO_CHANGES }
    const changes: ServiceChange[] = []
    if (incarnation > owner.incarnation) {
      this.#buckets.xorOwner(owner.ownerKey, owner.incarnation)
      this.#buckets.xorOwner(owner.ownerKey, incarnation)
      owner.incarnation = incarnation
      this.#dropOlderIncarnations(owner, changes)
    }
    const outcome =
      statement.kind === 'heartbeat'
        ? this.#applyHeartbeat(owner, statement, refreshedAt)
        : this.#applyInstance(owner, statement, refreshedAt, changes)
    return { outcome, changes: changes.length === 0 ? NO_CHANGES : changes }
  }

  /** Removes what has run out its time at `now`; returns the instances that expired. */
  expire(now: number): ServiceChange[] {
    const changes: ServiceChange[] = []
    // Visiting every owner of a large replica costs a cache miss each: skip sweeps with nothing due.
    if (now < this.#nextDue) return changes
    let nextDue = Number.POSITIVE_INFINITY
    for (const owner of this.#owners.values()) {
      if (owner.deadline === undefined || now >= owner.deadline)
        owner.deadline = this.#deadlineOf(owner, this.#vouch(owner), now, changes)
      if (owner.entries.size === 0 && owner.heartbeat === undefined) {
        this.#owners.delete(owner.id)
        this.#sums.release(owner.sums)
        this.#buckets.xorOwner(owner.ownerKey, owner.incarnation)
      } else if (owner.deadline < nextDue) {
        nextDue = owner.deadline
      }
    }
    this.#nextDue = nextDue
    return changes
  }

  /** Forgets the owner's cached deadline (something may now be due earlier), and so the set's. */
  #clearDeadline(owner: OwnerState): void {
    owner.deadline = undefined
    this.#nextDue = Number.NEGATIVE_INFINITY
  }

  /** Lowers the owner's cached deadline (and the set's) to `due`, when something added runs out then. */
  #dueBy(owner: OwnerState, due: number): void {
    if (owner.deadline !== undefined && due < owner.deadline) owner.deadline = due
    if (due < this.#nextDue) this.#nextDue = due
  }

  /**
   * Removes what of this owner has run out its time at `now` (noting expired registrations in
   * `changes`) and returns when the next of the rest is due. The owner's cached deadline is a
   * lower bound: refreshes and newer heartbeats push dues later, so an added statement lowers it
   * to its own due, and only a new incarnation or a newer heartbeat refreshed earlier than the
   * one it replaces (a long way round) clears it.
   */
  #deadlineOf(
    owner: OwnerState,
    vouched: Entry<HeartbeatStatement> | undefined,
    now: number,
    changes: ServiceChange[],
  ): number {
    let deadline = Number.POSITIVE_INFINITY
    for (const entry of owner.entries.values()) {
      const s = entry.statement
      const due =
        s.kind === 'registration'
          ? liveUntil(entry as Entry<RegistrationStatement>, vouched)
          : ownDue(entry)
      if (now < due) {
        if (due < deadline) deadline = due
        continue
      }
      this.#remove(owner, s.key)
      if (s.kind === 'registration') changes.push({ type: 'expired', instance: s.instance })
    }
    if (owner.heartbeat !== undefined) {
      const forgetAt = owner.heartbeat.refreshedAt + this.retentionOf(owner.heartbeat.statement)
      if (now >= forgetAt) this.#setHeartbeat(owner, undefined)
      else if (forgetAt < deadline) deadline = forgetAt
    }
    return deadline
  }

  /** Live instances, optionally of one service. */
  instances(service?: string): Instance[] {
    const out: Instance[] = []
    if (service === undefined) {
      for (const s of this.#registrations()) out.push(s.instance)
      return out
    }
    for (const key of this.#serviceIndex().get(service) ?? []) {
      const s = (this.get(key) as Entry<InstanceStatement>).statement
      if (s.kind === 'registration') out.push(s.instance)
    }
    return out
  }

  /** Names of services with at least one live instance. */
  serviceNames(): string[] {
    return [...this.#serviceIndex().keys()]
  }

  #serviceIndex(): Map<string, Set<string>> {
    if (this.#byService === undefined) {
      this.#byService = new Map()
      for (const s of this.#registrations()) this.#index(s)
    }
    return this.#byService
  }

  *#registrations(): IterableIterator<RegistrationStatement> {
    for (const owner of this.#owners.values())
      for (const { statement: s } of owner.entries.values()) if (s.kind === 'registration') yield s
  }

  get(key: string): Entry<InstanceStatement> | undefined {
    const owner = ownerOfKey(key)
    return owner === undefined ? undefined : this.#owners.get(owner)?.entries.get(key)
  }

  /** Registrations and tombstones held (what anti-entropy compares). */
  get size(): number {
    return this.#size
  }

  owners(): string[] {
    return [...this.#owners.keys()]
  }

  get ownerCount(): number {
    return this.#owners.size
  }

  /**
   * Owners still alive at `now` by their newest heartbeat: refreshed within `windowMs`, or
   * within the lease it signed when that is longer.
   */
  liveOwners(now: number, windowMs: number): string[] {
    const out: string[] = []
    for (const owner of this.#owners.values()) {
      const hb = owner.heartbeat
      if (hb !== undefined && now - hb.refreshedAt <= Math.max(windowMs, hb.statement.leaseMs))
        out.push(owner.id)
    }
    return out
  }

  /** How long a heartbeat (and with it its owner's incarnation floor) is remembered. */
  retentionOf(heartbeat: HeartbeatStatement): number {
    return Math.max(this.ownerRetentionMs, heartbeat.leaseMs)
  }

  /**
   * The lease this replica's newest heartbeat of the statement's owner grants it: that
   * heartbeat's lease if it is newer than the registration (so it covers it), else 0.
   */
  leaseCovering(statement: Statement): number {
    if (statement.kind !== 'registration') return 0
    const hb = this.#owners.get(statement.owner)?.heartbeat?.statement
    return hb !== undefined && covers(hb, statement) ? hb.leaseMs : 0
  }

  /** Every statement held, with the effective refresh time to compute its age from. */
  entries(): Entry[] {
    const out: Entry[] = []
    for (const owner of this.#owners.values()) this.#collect(owner, -1n, out)
    return out
  }

  /** Every statement held exactly as stored (refresh times without heartbeat refresh folded in): the CRDT state. */
  *rawEntries(): IterableIterator<Entry> {
    for (const owner of this.#owners.values()) {
      if (owner.heartbeat !== undefined) yield owner.heartbeat
      yield* owner.entries.values()
    }
  }

  /** Statements of one owner (heartbeat first), with effective refresh times. */
  ownerEntries(ownerId: string): Entry[] {
    const out: Entry[] = []
    const owner = this.#owners.get(ownerId)
    if (owner !== undefined) this.#collect(owner, -1n, out)
    return out
  }

  /**
   * Appends the owner's heartbeat, then its registrations and tombstones with a counter above
   * `counter`, with effective refresh times.
   */
  #collect(owner: OwnerState, counter: bigint, out: Entry[]): void {
    if (owner.heartbeat !== undefined) out.push(owner.heartbeat)
    const vouched = this.#vouch(owner)
    for (const entry of owner.entries.values()) {
      if (entry.statement.version.counter <= counter) continue
      const refreshedAt = effectiveRefresh(entry, vouched)
      out.push(
        refreshedAt > entry.refreshedAt ? { statement: entry.statement, refreshedAt } : entry,
      )
    }
  }

  /** Hash of an owner's live registrations (key and version): what its heartbeat vouches for. */
  liveDigest(ownerId: string): Uint8Array {
    const owner = this.#owners.get(ownerId)
    return owner === undefined
      ? new Uint8Array(OWNER_DIGEST_BYTES)
      : this.#sums.copy(owner.sums, LIVE)
  }

  /** Number of live registrations held for an owner. */
  liveCount(ownerId: string): number {
    return this.#owners.get(ownerId)?.liveCount ?? 0
  }

  /** How many owners held are not `inSyncWith` their newest heartbeat. */
  unsyncedOwnerCount(): number {
    let count = 0
    for (const owner of this.#owners.values()) if (!this.#currentHeartbeatMatches(owner)) count++
    return count
  }

  /** True when the owner's newest heartbeat vouches for exactly what this replica holds. */
  inSyncWith(ownerId: string): boolean {
    const owner = this.#owners.get(ownerId)
    return owner !== undefined && this.#currentHeartbeatMatches(owner)
  }

  /**
   * This replica's digest: a summary of every owner held, or a partial digest of the owners
   * listed in `only` (those this replica holds nothing of are left out).
   */
  digest(only?: Iterable<string>): Digest {
    const owners: OwnerSummary[] = []
    if (only === undefined) {
      for (const owner of this.#owners.values()) owners.push(this.#summaryOf(owner))
      return { owners, partial: false }
    }
    for (const ownerId of only) {
      const owner = this.#owners.get(ownerId)
      if (owner !== undefined) owners.push(this.#summaryOf(owner))
    }
    return { owners, partial: true }
  }

  /**
   * What the holder of `remote` lacks, as entries, and newer heartbeats. For an owner whose
   * summary differs: the statements newer than the remote's highest counter when it is behind
   * (the common case: it missed the latest updates), otherwise every statement of the owner (it
   * missed an older one; the receiver drops what it already has). A replica that was behind and
   * also missed an older statement is repaired by the next exchange. Owners a full digest does
   * not list are sent whole, and so are those of its covered buckets a partial digest does not
   * list; other owners a partial digest does not list are skipped.
   */
  delta(remote: Digest): Entry[] {
    const out: Entry[] = []
    const call = ++this.#deltaCalls
    for (const r of remote.owners) {
      const owner = this.#ownerOf(r)
      if (owner === undefined) continue
      owner.listedIn = call
      if (r.incarnation > owner.incarnation) continue
      if (r.incarnation < owner.incarnation) {
        this.#collect(owner, -1n, out)
      } else if (!this.#sums.equals(owner.sums, SUMMARY, r.statementsHash)) {
        const after = r.maxCounter < this.#maxCounter(owner) ? r.maxCounter : -1n
        this.#collect(owner, after, out)
      } else if (
        owner.heartbeat !== undefined &&
        owner.heartbeat.statement.version.counter > r.heartbeatCounter
      ) {
        out.push(owner.heartbeat)
      }
    }
    const covered = remote.covered
    if (!remote.partial || covered !== undefined) {
      for (const owner of this.#owners.values())
        if (
          owner.listedIn !== call &&
          (covered === undefined || inBucketSet(covered, owner.ownerKey))
        )
          this.#collect(owner, -1n, out)
    }
    return out
  }

  /** The opening of a bucketed exchange: this replica's bucket fingerprints, about one owner per bucket. */
  bucketDigest(): BucketDigest {
    const bits = bucketBitsFor(this.#owners.size)
    return { bits, fingerprints: this.#buckets.fingerprints(bits) }
  }

  /**
   * The answer to a bucket digest: this replica's summaries of every owner it holds in the
   * buckets whose fingerprints differ, covering those buckets; an empty partial digest when none
   * differ.
   */
  bucketAnswer(remote: BucketDigest): Digest {
    const covered = this.#buckets.differing(remote.bits, remote.fingerprints)
    if (covered === undefined) return { owners: [], partial: true }
    const owners: OwnerSummary[] = []
    for (const owner of this.#owners.values())
      if (inBucketSet(covered, owner.ownerKey)) owners.push(this.#summaryOf(owner))
    return { owners, partial: true, covered }
  }

  /**
   * The answer digest to `remote`: this replica's summaries of the owners `remote` lists and
   * summarises differently (an empty summary where this replica holds none), as a partial
   * digest. Its sender's delta for it then carries only what this replica lacks; owners that
   * `remote` does not list reach this replica whole with this replica's own delta.
   */
  differences(remote: Digest): Digest {
    const owners: OwnerSummary[] = []
    for (const r of remote.owners) {
      const owner = this.#ownerOf(r)
      if (owner === undefined) owners.push({ ...EMPTY_SUMMARY, ownerId: r.ownerId, owner: r.owner })
      else if (!this.#summarisedAs(owner, r)) owners.push(this.#summaryOf(owner))
    }
    return { owners, partial: true }
  }

  #ownerOf(summary: OwnerSummary): OwnerState | undefined {
    return summary.ownerId === undefined ? undefined : this.#owners.get(summary.ownerId)
  }

  /** True when `summary` is what this replica would say of the owner. */
  #summarisedAs(owner: OwnerState, summary: OwnerSummary): boolean {
    return (
      summary.incarnation === owner.incarnation &&
      summary.heartbeatCounter === heartbeatCounterOf(owner) &&
      summary.maxCounter === this.#maxCounter(owner) &&
      this.#sums.equals(owner.sums, SUMMARY, summary.statementsHash)
    )
  }

  #summaryOf(owner: OwnerState): OwnerSummary {
    return {
      ownerId: owner.id,
      owner: owner.ownerKey,
      incarnation: owner.incarnation,
      heartbeatCounter: heartbeatCounterOf(owner),
      maxCounter: this.#maxCounter(owner),
      statementsHash: this.#sums.copy(owner.sums, SUMMARY),
    }
  }

  #ownerFor(statement: Statement): OwnerState {
    let owner = this.#owners.get(statement.owner)
    if (owner === undefined) {
      owner = {
        id: statement.owner,
        ownerKey: statement.signed.owner,
        incarnation: statement.version.incarnation,
        heartbeat: undefined,
        vouched: undefined,
        entries: new OwnerEntries(),
        sums: this.#sums.allocate(),
        liveCount: 0,
        maxCounter: 0n,
        // Nothing held yet: the statement about to be applied lowers it.
        deadline: Number.POSITIVE_INFINITY,
        listedIn: 0,
      }
      this.#owners.set(statement.owner, owner)
      this.#buckets.xorOwner(owner.ownerKey, owner.incarnation)
    }
    return owner
  }

  #applyHeartbeat(
    owner: OwnerState,
    statement: HeartbeatStatement,
    refreshedAt: number,
  ): ApplyOutcome {
    const current = owner.heartbeat
    const resolved = resolveEntry(current, { statement, refreshedAt })
    if (resolved.outcome === 'stale' || resolved.outcome === 'duplicate') return resolved.outcome
    if (current !== undefined && refreshedAt < current.refreshedAt) this.#clearDeadline(owner)
    else this.#dueBy(owner, refreshedAt + this.retentionOf(statement))
    this.#setHeartbeat(owner, resolved.entry as Entry<HeartbeatStatement>)
    this.#vouch(owner)
    return resolved.outcome
  }

  #applyInstance(
    owner: OwnerState,
    statement: InstanceStatement,
    refreshedAt: number,
    changes: ServiceChange[],
  ): ApplyOutcome {
    const current = owner.entries.get(statement.key)
    const resolved = resolveEntry(current, { statement, refreshedAt })
    if (resolved.outcome === 'stale' || resolved.outcome === 'duplicate') return resolved.outcome
    // Record whether the current heartbeat vouches for the owner before this change breaks the match.
    if (owner.heartbeat !== owner.vouched) this.#vouch(owner)
    const next = resolved.entry as Entry<InstanceStatement>
    owner.entries.set(next, current)
    if (resolved.outcome === 'refreshed') return 'refreshed'
    if (current === undefined) this.#size++
    if (current !== undefined) this.#account(owner, current.statement, false)
    this.#account(owner, next.statement, true)
    this.#dueBy(owner, ownDue(next))
    const before = current?.statement
    const after = next.statement
    if (after.kind === 'registration') {
      this.#index(after)
      changes.push(
        before?.kind === 'registration' && before !== after
          ? { type: 'updated', instance: after.instance, previous: before.instance }
          : { type: 'created', instance: after.instance },
      )
    } else if (before?.kind === 'registration') {
      this.#unindex(before)
      changes.push({ type: 'deleted', instance: before.instance })
    }
    return 'accepted'
  }

  #dropOlderIncarnations(owner: OwnerState, changes: ServiceChange[]): void {
    for (const { statement: s } of owner.entries.values()) {
      if (s.version.incarnation < owner.incarnation) {
        this.#remove(owner, s.key)
        if (s.kind === 'registration') changes.push({ type: 'deleted', instance: s.instance })
      }
    }
    if (
      owner.heartbeat !== undefined &&
      owner.heartbeat.statement.version.incarnation < owner.incarnation
    ) {
      this.#setHeartbeat(owner, undefined)
    }
    owner.vouched = undefined
    this.#clearDeadline(owner)
  }

  #remove(owner: OwnerState, key: string): void {
    const entry = owner.entries.get(key)
    if (entry === undefined) return
    if (entry.statement.kind === 'registration') this.#unindex(entry.statement)
    owner.entries.delete(key)
    this.#size--
    this.#account(owner, entry.statement, false)
  }

  /** Adds a statement to (or takes it from) the owner's running sums and counts. */
  #account(owner: OwnerState, s: InstanceStatement, added: boolean): void {
    // The signature is a pseudo-random function of the statement, unique to it, and already in
    // memory: its first half feeds the live digest, its second the summary.
    const hash = s.signed.signature
    this.#sums.xor(owner.sums, SUMMARY, hash)
    this.#buckets.xorStatement(owner.ownerKey, hash)
    if (s.kind === 'registration') {
      this.#sums.xor(owner.sums, LIVE, hash)
      owner.liveCount += added ? 1 : -1
    }
    if (!added) {
      owner.maxCounter = undefined
      return
    }
    if (owner.maxCounter !== undefined && s.version.counter > owner.maxCounter)
      owner.maxCounter = s.version.counter
  }

  /** Replaces the owner's newest heartbeat, keeping its bucket fingerprint current. */
  #setHeartbeat(owner: OwnerState, entry: Entry<HeartbeatStatement> | undefined): void {
    const before = owner.heartbeat?.statement.signed.signature
    const after = entry?.statement.signed.signature
    if (before !== after) {
      if (before !== undefined) this.#buckets.xorStatement(owner.ownerKey, before)
      if (after !== undefined) this.#buckets.xorStatement(owner.ownerKey, after)
    }
    owner.heartbeat = entry
  }

  #index(s: RegistrationStatement): void {
    if (this.#byService === undefined) return
    let keys = this.#byService.get(s.instance.service)
    if (keys === undefined) {
      keys = new Set()
      this.#byService.set(s.instance.service, keys)
    }
    keys.add(s.key)
  }

  #unindex(s: RegistrationStatement): void {
    const keys = this.#byService?.get(s.instance.service)
    if (keys === undefined) return
    keys.delete(s.key)
    if (keys.size === 0) this.#byService?.delete(s.instance.service)
  }

  /** True when the owner's newest heartbeat (of its current incarnation) hashes to what this replica holds. */
  #currentHeartbeatMatches(owner: OwnerState): boolean {
    const hb = owner.heartbeat
    return (
      hb !== undefined &&
      hb.statement.version.incarnation === owner.incarnation &&
      this.#sums.equals(owner.sums, LIVE, hb.statement.ownerDigest)
    )
  }

  /** The newest heartbeat that vouched for this replica's view of the owner, taking the current one if it does. */
  #vouch(owner: OwnerState): Entry<HeartbeatStatement> | undefined {
    if (owner.vouched !== owner.heartbeat && this.#currentHeartbeatMatches(owner)) {
      if (
        owner.vouched !== undefined &&
        (owner.heartbeat as Entry).refreshedAt < owner.vouched.refreshedAt
      )
        this.#clearDeadline(owner)
      owner.vouched = owner.heartbeat
    }
    return owner.vouched
  }

  #maxCounter(owner: OwnerState): bigint {
    if (owner.maxCounter === undefined) {
      let max = 0n
      for (const { statement } of owner.entries.values())
        if (statement.version.counter > max) max = statement.version.counter
      owner.maxCounter = max
    }
    return owner.maxCounter
  }
}

/** The join of two replicas' states, as a new set: every statement of both, merged. */
export function mergeSets(a: ServiceSet, b: ServiceSet): ServiceSet {
  const merged = new ServiceSet({ ownerRetentionMs: a.ownerRetentionMs })
  for (const source of [a, b]) {
    for (const entry of source.rawEntries()) merged.apply(entry.statement, entry.refreshedAt)
  }
  return merged
}

/** When a registration runs out: its TTL from its own refresh, or from the vouching heartbeat's, with its lease. */
function liveUntil(
  entry: Entry<RegistrationStatement>,
  vouched: Entry<HeartbeatStatement> | undefined,
): number {
  const ttl = entry.statement.instance.ttlMs
  const own = ownDue(entry)
  if (vouched === undefined || !covers(vouched.statement, entry.statement)) return own
  return Math.max(own, vouched.refreshedAt + Math.max(ttl, vouched.statement.leaseMs))
}

/** The counter of the owner's newest heartbeat held, 0 for none (as summaries state it). */
function heartbeatCounterOf(owner: OwnerState): bigint {
  return owner.heartbeat?.statement.version.counter ?? 0n
}

/** When a registration or tombstone runs out by its own refresh alone: a lower bound of its due. */
function ownDue(entry: Entry<InstanceStatement>): number {
  const s = entry.statement
  return s.kind === 'registration'
    ? entry.refreshedAt + s.instance.ttlMs
    : entry.refreshedAt + s.ttlMs * TOMBSTONE_RETENTION_FACTOR
}

/** True when the heartbeat is newer than the statement, so it vouches for it. */
function covers(heartbeat: HeartbeatStatement, statement: Statement): boolean {
  return compareVersions(statement.version, heartbeat.version) < 0
}

/** A registration's refresh time, including what a vouching heartbeat grants: it covers what existed at its version. */
function effectiveRefresh(
  entry: Entry<InstanceStatement>,
  vouched: Entry<HeartbeatStatement> | undefined,
): number {
  if (entry.statement.kind !== 'registration' || vouched === undefined) return entry.refreshedAt
  return covers(vouched.statement, entry.statement)
    ? Math.max(entry.refreshedAt, vouched.refreshedAt)
    : entry.refreshedAt
}

/** The result of merging one incoming entry into the register that holds its key. */
export interface Resolution<S extends Statement> {
  readonly outcome: ApplyOutcome
  readonly entry: Entry<S> | undefined
}

/**
 * The last-writer-wins rule on one register: the higher owner version wins; equal versions keep
 * the larger refresh time (and, for an equivocating owner, the larger signature).
 */
export function resolveEntry<S extends Statement>(
  current: Entry<S> | undefined,
  incoming: Entry<S>,
): Resolution<S> {
  if (current === undefined) return { outcome: 'accepted', entry: incoming }
  const order = compareVersions(incoming.statement.version, current.statement.version)
  if (order < 0) return { outcome: 'stale', entry: current }
  if (order > 0) return { outcome: 'accepted', entry: incoming }
  // The same statement object (a verify cache hands out one per statement) needs no comparison.
  const bySignature =
    incoming.statement === current.statement
      ? 0
      : Buffer.compare(incoming.statement.signed.signature, current.statement.signed.signature)
  if (bySignature > 0) return { outcome: 'accepted', entry: incoming }
  if (bySignature < 0) return { outcome: 'stale', entry: current }
  if (incoming.refreshedAt > current.refreshedAt) {
    return {
      outcome: 'refreshed',
      entry: { statement: current.statement, refreshedAt: incoming.refreshedAt },
    }
  }
  return { outcome: 'duplicate', entry: current }
}
