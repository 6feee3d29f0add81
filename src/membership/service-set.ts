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
 * Tombstones are kept for TOMBSTONE_RETENTION_FACTOR times the longest a copy of what they
 * delete may still be taken here: its TTL, or the lease of the owner's newest heartbeat when that
 * is longer (a replica that missed the delete keeps the copy alive by the lease it was vouched
 * with, and forwards it that old). That outlives every copy of the deleted registration (no copy
 * is refreshed after the delete).
 *
 * Relays cannot extend lifetimes. Ages come from relays, and a relay may lie. A statement applied
 * with the time it was received (`apply`'s `receivedAt`, which the receive path always passes)
 * remembers when this replica first received it, and no later copy of the same statement moves
 * its refresh time past that: a relay resending a crashed owner's statements with a small age
 * does not keep them alive, while a copy that arrived first with a too large age (a relay racing
 * the owner's honest neighbours) is still corrected by theirs. Only a statement the owner signed
 * later (a new heartbeat, a new version) refreshes beyond it. This cap is local receive
 * bookkeeping: applied without a receipt time (merging states), equal versions merge by max.
 *
 * Elsewhere: when each statement runs out and the per-owner deadline cache (expiry.ts); the
 * digests, bucket fingerprints and deltas anti-entropy trades (digests.ts).
 */

import { BucketFingerprints } from './buckets.ts'
import { bytesEqual } from './bytes.ts'
import { type BucketDigest, type Digest, type OwnerSummary, SetDigests } from './digests.ts'
import type { Entry } from './entry.ts'
import { END, EntryLists } from './entry-lists.ts'
import {
  covers,
  Deadlines,
  effectiveRefresh,
  heartbeatRetention,
  liveUntil,
  ownDue,
  tombstoneRetention,
} from './expiry.ts'
import type { OwnerDirectory } from './owner-directory.ts'
import { LIVE, OwnerSums } from './owner-sums.ts'
import { NO_OWNER, OwnerTable } from './owner-table.ts'
import type {
  HeartbeatStatement,
  InstanceStatement,
  RegistrationStatement,
  Statement,
  TombstoneStatement,
} from './statement.ts'
import { OWNER_DIGEST_BYTES } from './statement.ts'
import { type Instance, ownerOfKey } from './types.ts'
import { compareVersions, type Version } from './version.ts'

export type { BucketDigest, Digest, OwnerSummary } from './digests.ts'
export type { Entry } from './entry.ts'
export { TOMBSTONE_RETENTION_FACTOR } from './expiry.ts'

/** A change of the live instance set. */
export type ServiceChange =
  | { readonly type: 'created'; readonly instance: Instance }
  | { readonly type: 'updated'; readonly instance: Instance; readonly previous: Instance }
  | { readonly type: 'deleted'; readonly instance: Instance }
  | { readonly type: 'expired'; readonly instance: Instance }

/** What applying a statement did to the set. */
export type ApplyOutcome = 'accepted' | 'refreshed' | 'duplicate' | 'stale'

/** What applying a statement did: its outcome and the changes it made. */
export interface ApplyResult {
  readonly outcome: ApplyOutcome
  readonly changes: readonly ServiceChange[]
}

/** See `ServiceSet.coveringHeartbeat`. */
export interface CoveringHeartbeat {
  readonly version: Version
  readonly leaseMs: number
  readonly refreshedAt: number
  readonly inSync: boolean
}

/** Options of a ServiceSet. */
export interface ServiceSetOptions {
  /**
   * How long an owner's newest heartbeat (and with it the owner's incarnation floor, which
   * rejects replays of older incarnations) is remembered after its last refresh.
   * @default 600000 (10 min)
   */
  ownerRetentionMs?: number
  /**
   * Where owner IDs become slots. A driver running many replicas in one process (the
   * simulator) shares one. @default a directory of this set's own
   */
  ownerDirectory?: OwnerDirectory
  /**
   * Called with the ID of each owner this set forgets (nothing of it left, or evicted), so a
   * driver's bookkeeping per owner (admission.ts) ends with it. @default none
   */
  onForget?: (ownerId: string) => void
}

const NO_CHANGES: readonly ServiceChange[] = Object.freeze([])

/** The CRDT: registrations and tombstones per owner, merged by version, expiring by TTL. */
export class ServiceSet {
  readonly ownerRetentionMs: number
  /** Registrations and tombstones held, over all owners. */
  #size = 0
  /** Bytes of every signed statement held (see statementBytes). */
  #bytes = 0
  readonly #onForget: ((ownerId: string) => void) | undefined
  readonly #owners: OwnerTable
  /** Each owner's registrations and tombstones, listed by owner slot. */
  readonly #entries = new EntryLists()
  /**
   * Keys of live registrations by service, built on the first query by service and kept from
   * then on: replicas never queried by service (relays, the simulator's thousands) skip it.
   */
  #byService: Map<string, Set<string>> | undefined
  readonly #sums = new OwnerSums(OWNER_DIGEST_BYTES, this.#entries)
  readonly #buckets = new BucketFingerprints()
  readonly #deadlines: Deadlines
  readonly #digests: SetDigests

  constructor(options: ServiceSetOptions = {}) {
    this.ownerRetentionMs = options.ownerRetentionMs ?? 600_000
    this.#onForget = options.onForget
    this.#owners = new OwnerTable(options.ownerDirectory)
    this.#deadlines = new Deadlines(this.#owners)
    this.#digests = new SetDigests({
      owners: this.#owners,
      entries: this.#entries,
      sums: this.#sums,
      buckets: this.#buckets,
      collect: (owner, counter, out) => this.#collect(owner, counter, out),
    })
  }

  /**
   * Merges one verified statement refreshed at `refreshedAt`, received at `receivedAt` (both on
   * this replica's clock; see "Relays cannot extend lifetimes" above). Never throws; the outcome
   * says what happened.
   */
  apply(
    statement: Statement,
    refreshedAt: number,
    receivedAt = Number.POSITIVE_INFINITY,
  ): ApplyResult {
    const owner = this.#slotFor(statement)
    const { incarnation } = statement.version
    const held = this.#owners.incarnation[owner] as bigint
    if (incarnation < held) return { outcome: 'stale', changes: NO_CHANGES }
    const changes: ServiceChange[] = []
    if (incarnation > held) {
      const key = this.#keyOf(owner)
      this.#buckets.xorOwner(key, held)
      this.#buckets.xorOwner(key, incarnation)
      this.#owners.incarnation[owner] = incarnation
      this.#dropOlderIncarnations(owner, changes)
    }
    const outcome =
      statement.kind === 'heartbeat'
        ? this.#applyHeartbeat(owner, statement, refreshedAt, receivedAt)
        : this.#applyInstance(owner, statement, refreshedAt, receivedAt, changes)
    return { outcome, changes: changes.length === 0 ? NO_CHANGES : changes }
  }

  /** A lower bound of when `expire` next removes something (−∞: unknown; +∞: nothing held runs out). */
  nextExpiry(): number {
    return this.#deadlines.nextDue()
  }

  /** Removes what has run out its time at `now`; returns the instances that expired. */
  expire(now: number): ServiceChange[] {
    const changes: ServiceChange[] = []
    // Visiting every owner of a large replica costs a cache miss each: skip sweeps with nothing due.
    if (!this.#deadlines.anyDue(now)) return changes
    let nextDue = Number.POSITIVE_INFINITY
    const owners = this.#owners
    for (let owner = owners.first(); owner !== NO_OWNER; ) {
      const next = owners.next(owner)
      if (this.#deadlines.due(owner, now)) {
        this.#vouch(owner)
        const deadline = this.#deadlineOf(owner, now, changes)
        owners.deadline[owner] = deadline
      }
      if (this.#entries.count(owner) === 0 && owners.heartbeat[owner] === undefined) {
        this.#forget(owner)
      } else if ((owners.deadline[owner] as number) < nextDue) {
        nextDue = owners.deadline[owner] as number
      }
      owner = next
    }
    this.#deadlines.swept(nextDue)
    return changes
  }

  /**
   * Removes what of this owner has run out its time at `now` (noting expired registrations in
   * `changes`) and returns when the next of the rest is due. The owner's cached deadline is a
   * lower bound: refreshes and newer heartbeats push dues later, so an added statement lowers it
   * to its own due, and only a new incarnation or a newer heartbeat refreshed earlier than the
   * one it replaces (a long way round) clears it.
   */
  #deadlineOf(owner: number, now: number, changes: ServiceChange[]): number {
    const entries = this.#entries
    const vouched = this.#owners.vouched[owner]
    const vouchedAt = this.#owners.vouchedAt[owner] as number
    let deadline = Number.POSITIVE_INFINITY
    // The heartbeat first: tombstones are kept by its lease only while it is remembered.
    const heartbeat = this.#owners.heartbeat[owner]
    if (heartbeat !== undefined) {
      const forgetAt = (this.#owners.heartbeatAt[owner] as number) + this.retentionOf(heartbeat)
      if (now >= forgetAt) this.#setHeartbeat(owner, undefined, Number.NaN)
      else deadline = forgetAt
    }
    const leaseMs = this.#owners.heartbeat[owner]?.leaseMs ?? 0
    for (let e = entries.first(owner); e !== END; ) {
      const next = entries.next(e)
      const s = entries.statement(e)
      const refreshedAt = entries.refreshedAt(e)
      const due =
        s.kind === 'registration'
          ? liveUntil(s, refreshedAt, vouched, vouchedAt)
          : refreshedAt + tombstoneRetention(s, leaseMs)
      if (now < due) {
        if (due < deadline) deadline = due
      } else {
        this.#remove(owner, e)
        if (s.kind === 'registration') changes.push({ type: 'expired', instance: s.instance })
      }
      e = next
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
    const entries = this.#entries
    for (const owner of this.#owners.slots())
      for (let e = entries.first(owner); e !== END; e = entries.next(e)) {
        const s = entries.statement(e)
        if (s.kind === 'registration') yield s
      }
  }

  /** The entry held for an instance key, registration or tombstone. */
  get(key: string): Entry<InstanceStatement> | undefined {
    const ownerId = ownerOfKey(key)
    const owner = ownerId === undefined ? undefined : this.#owners.slotOf(ownerId)
    if (owner === undefined) return undefined
    const e = this.#entries.find(owner, key)
    return e === END ? undefined : this.#entryAt(e)
  }

  /** Registrations and tombstones held (what anti-entropy compares). */
  get size(): number {
    return this.#size
  }

  /** The owners this set holds anything of. */
  owners(): string[] {
    const out: string[] = []
    for (const owner of this.#owners.slots()) out.push(this.#owners.idOf(owner))
    return out
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
    const owners = this.#owners
    for (const owner of owners.slots()) {
      if (now <= this.#liveUntil(owner, windowMs)) out.push(owners.idOf(owner))
    }
    return out
  }

  /**
   * The newest heartbeats of the owners `liveOwners` gives, each with the instant its owner stops
   * being live unless a newer one arrives.
   */
  liveHeartbeats(
    now: number,
    windowMs: number,
  ): Array<{ readonly heartbeat: HeartbeatStatement; readonly liveUntil: number }> {
    const out: Array<{ heartbeat: HeartbeatStatement; liveUntil: number }> = []
    const owners = this.#owners
    for (const owner of owners.slots()) {
      const liveUntil = this.#liveUntil(owner, windowMs)
      if (now <= liveUntil)
        out.push({ heartbeat: owners.heartbeat[owner] as HeartbeatStatement, liveUntil })
    }
    return out
  }

  /** When the owner stops being live by its newest heartbeat held (-Infinity with none). */
  #liveUntil(owner: number, windowMs: number): number {
    const heartbeat = this.#owners.heartbeat[owner]
    if (heartbeat === undefined) return Number.NEGATIVE_INFINITY
    return (this.#owners.heartbeatAt[owner] as number) + Math.max(windowMs, heartbeat.leaseMs)
  }

  /** How long a tombstone is kept here: see the design comment (tombstones). */
  tombstoneRetentionOf(tombstone: TombstoneStatement): number {
    const owner = this.#owners.slotOf(tombstone.owner)
    const hb = owner === undefined ? undefined : this.#owners.heartbeat[owner]
    return tombstoneRetention(tombstone, hb?.leaseMs ?? 0)
  }

  /** How long a heartbeat (and with it its owner's incarnation floor) is remembered. */
  retentionOf(heartbeat: HeartbeatStatement): number {
    return heartbeatRetention(heartbeat, this.ownerRetentionMs)
  }

  /**
   * This replica's newest heartbeat of the statement's owner when it is newer than the statement
   * (so it covers it): its lease, its refresh time, and whether it vouches for exactly what this
   * replica holds of the owner.
   */
  coveringHeartbeat(statement: Statement): CoveringHeartbeat | undefined {
    const owner = this.#owners.slotOf(statement.owner)
    const hb = owner === undefined ? undefined : this.#owners.heartbeat[owner]
    if (owner === undefined || hb === undefined || !covers(hb, statement)) return undefined
    return {
      version: hb.version,
      leaseMs: hb.leaseMs,
      refreshedAt: this.#owners.heartbeatAt[owner] as number,
      inSync: this.#currentHeartbeatMatches(owner),
    }
  }

  /** Every statement held, with the effective refresh time to compute its age from. */
  entries(): Entry[] {
    const out: Entry[] = []
    for (const owner of this.#owners.slots()) this.#collect(owner, -1n, out)
    return out
  }

  /** Every statement held exactly as stored (refresh times without heartbeat refresh folded in): the CRDT state. */
  *rawEntries(): IterableIterator<Entry> {
    const owners = this.#owners
    const entries = this.#entries
    for (const owner of owners.slots()) {
      const hb = owners.heartbeat[owner]
      if (hb !== undefined)
        yield { statement: hb, refreshedAt: owners.heartbeatAt[owner] as number }
      for (let e = entries.first(owner); e !== END; e = entries.next(e)) yield this.#entryAt(e)
    }
  }

  /** Statements of one owner (heartbeat first), with effective refresh times. */
  ownerEntries(ownerId: string): Entry[] {
    const out: Entry[] = []
    const owner = this.#owners.slotOf(ownerId)
    if (owner !== undefined) this.#collect(owner, -1n, out)
    return out
  }

  #entryAt(e: number): Entry<InstanceStatement> {
    return { statement: this.#entries.statement(e), refreshedAt: this.#entries.refreshedAt(e) }
  }

  /**
   * Appends the owner's heartbeat, then its registrations and tombstones with a counter above
   * `counter`, with effective refresh times.
   */
  #collect(owner: number, counter: bigint, out: Entry[]): void {
    const owners = this.#owners
    const hb = owners.heartbeat[owner]
    if (hb !== undefined)
      out.push({ statement: hb, refreshedAt: owners.heartbeatAt[owner] as number })
    this.#vouch(owner)
    const vouched = owners.vouched[owner]
    const vouchedAt = owners.vouchedAt[owner] as number
    const entries = this.#entries
    for (let e = entries.first(owner); e !== END; e = entries.next(e)) {
      const statement = entries.statement(e)
      if (statement.version.counter <= counter) continue
      const refreshedAt = effectiveRefresh(statement, entries.refreshedAt(e), vouched, vouchedAt)
      out.push({ statement, refreshedAt })
    }
  }

  /** Hash of an owner's live registrations (key and version): what its heartbeat vouches for. */
  liveDigest(ownerId: string): Uint8Array {
    const owner = this.#owners.slotOf(ownerId)
    return owner === undefined ? new Uint8Array(OWNER_DIGEST_BYTES) : this.#sums.copy(owner, LIVE)
  }

  /** Number of live registrations held for an owner. */
  liveCount(ownerId: string): number {
    const owner = this.#owners.slotOf(ownerId)
    return owner === undefined ? 0 : (this.#owners.liveCount[owner] as number)
  }

  /** How many owners held are not `inSyncWith` their newest heartbeat. */
  unsyncedOwnerCount(): number {
    let count = 0
    for (const owner of this.#owners.slots()) if (!this.#currentHeartbeatMatches(owner)) count++
    return count
  }

  /** True when the owner's newest heartbeat vouches for exactly what this replica holds. */
  inSyncWith(ownerId: string): boolean {
    const owner = this.#owners.slotOf(ownerId)
    return owner !== undefined && this.#currentHeartbeatMatches(owner)
  }

  /**
   * This replica's digest: a summary of every owner held, or a partial digest of the owners
   * listed in `only` (see digests.ts).
   */
  digest(only?: Iterable<string>): Digest {
    return this.#digests.digest(only)
  }

  /** What the holder of `remote` lacks, as entries, and newer heartbeats (see digests.ts). */
  delta(remote: Digest): Entry[] {
    return this.#digests.delta(remote)
  }

  /** The opening of a bucketed exchange: this replica's bucket fingerprints. */
  bucketDigest(): BucketDigest {
    return this.#digests.bucketDigest()
  }

  /** The answer to a bucket digest: the summaries of the owners in the buckets that differ. */
  bucketAnswer(remote: BucketDigest): Digest {
    return this.#digests.bucketAnswer(remote)
  }

  /** The answer digest to `remote`: this replica's summaries that differ from it (see digests.ts). */
  differences(remote: Digest): Digest {
    return this.#digests.differences(remote)
  }

  /** True when this replica holds the summarised owner and would summarise it the same. */
  agreesWith(summary: OwnerSummary): boolean {
    return this.#digests.agreesWith(summary)
  }

  #keyOf(owner: number): Uint8Array {
    return this.#owners.keyOf(owner)
  }

  #slotFor(statement: Statement): number {
    let owner = this.#owners.slotOf(statement.owner)
    if (owner === undefined) {
      const { incarnation } = statement.version
      // Nothing held yet: its deadline is +∞ until the statement about to be applied lowers it.
      owner = this.#owners.add(statement.owner, statement.signed.owner, incarnation)
      this.#entries.open(owner, this.#owners.capacity)
      this.#sums.forget(owner)
      this.#buckets.xorOwner(statement.signed.owner, incarnation)
    }
    return owner
  }

  #applyHeartbeat(
    owner: number,
    statement: HeartbeatStatement,
    incomingAt: number,
    receivedAt: number,
  ): ApplyOutcome {
    const owners = this.#owners
    const current = owners.heartbeat[owner]
    const currentAt = owners.heartbeatAt[owner] as number
    const seenAt = owners.heartbeatSeenAt[owner] as number
    const outcome = capRefresh(
      resolve(current, currentAt, statement, incomingAt),
      currentAt,
      incomingAt,
      seenAt,
    )
    if (outcome === 'stale' || outcome === 'duplicate') return outcome
    const refreshedAt = outcome === 'refreshed' ? Math.min(incomingAt, seenAt) : incomingAt
    // A heartbeat refreshed earlier, or with a shorter lease (tombstones kept by it), may bring dues forward.
    if (current !== undefined && (refreshedAt < currentAt || statement.leaseMs < current.leaseMs))
      this.#deadlines.clear(owner)
    else this.#deadlines.dueBy(owner, refreshedAt + this.retentionOf(statement))
    this.#setHeartbeat(owner, outcome === 'refreshed' ? current : statement, refreshedAt)
    if (outcome === 'accepted') owners.heartbeatSeenAt[owner] = receivedAt
    this.#vouch(owner)
    return outcome
  }

  #applyInstance(
    owner: number,
    statement: InstanceStatement,
    refreshedAt: number,
    receivedAt: number,
    changes: ServiceChange[],
  ): ApplyOutcome {
    const entries = this.#entries
    const e = entries.find(owner, statement.key)
    const before = e === END ? undefined : entries.statement(e)
    const currentAt = e === END ? Number.NaN : entries.refreshedAt(e)
    const seenAt = e === END ? Number.NaN : entries.seenAt(e)
    const outcome = capRefresh(
      resolve(before, currentAt, statement, refreshedAt),
      currentAt,
      refreshedAt,
      seenAt,
    )
    if (outcome === 'stale' || outcome === 'duplicate') return outcome
    // Record whether the current heartbeat vouches for the owner before this change breaks the match.
    if (!this.#vouchedIsCurrent(owner)) this.#vouch(owner)
    if (outcome === 'refreshed') {
      entries.refresh(e, Math.min(refreshedAt, seenAt))
      return 'refreshed'
    }
    if (before === undefined) {
      entries.append(owner, statement, refreshedAt, receivedAt)
      this.#size++
    } else {
      entries.replace(e, statement, refreshedAt, receivedAt)
      this.#account(owner, before, false)
    }
    this.#account(owner, statement, true)
    this.#deadlines.dueBy(owner, ownDue(statement, refreshedAt))
    if (statement.kind === 'registration') {
      this.#index(statement)
      changes.push(
        before?.kind === 'registration' && before !== statement
          ? { type: 'updated', instance: statement.instance, previous: before.instance }
          : { type: 'created', instance: statement.instance },
      )
    } else if (before?.kind === 'registration') {
      this.#unindex(before)
      changes.push({ type: 'deleted', instance: before.instance })
    }
    return 'accepted'
  }

  #dropOlderIncarnations(owner: number, changes: ServiceChange[]): void {
    const owners = this.#owners
    const incarnation = owners.incarnation[owner] as bigint
    const entries = this.#entries
    for (let e = entries.first(owner); e !== END; ) {
      const next = entries.next(e)
      const s = entries.statement(e)
      if (s.version.incarnation < incarnation) {
        this.#remove(owner, e)
        if (s.kind === 'registration') changes.push({ type: 'deleted', instance: s.instance })
      }
      e = next
    }
    const hb = owners.heartbeat[owner]
    if (hb !== undefined && hb.version.incarnation < incarnation)
      this.#setHeartbeat(owner, undefined, Number.NaN)
    owners.vouched[owner] = undefined
    owners.vouchedAt[owner] = Number.NaN
    this.#deadlines.clear(owner)
  }

  /** Forgets an owner holding nothing: its slot, digests and fingerprint. */
  #forget(owner: number): void {
    const owners = this.#owners
    const id = owners.idOf(owner)
    this.#buckets.xorOwner(this.#keyOf(owner), owners.incarnation[owner] as bigint)
    this.#sums.forget(owner)
    owners.remove(owner)
    this.#onForget?.(id)
  }

  /**
   * Drops everything held of an owner at once, its incarnation floor included (admission.ts
   * evicts owners nobody vouches for to make room); returns the live instances it deleted.
   */
  evict(ownerId: string): ServiceChange[] {
    const owner = this.#owners.slotOf(ownerId)
    const changes: ServiceChange[] = []
    if (owner === undefined) return changes
    const entries = this.#entries
    for (let e = entries.first(owner); e !== END; ) {
      const next = entries.next(e)
      const s = entries.statement(e)
      this.#remove(owner, e)
      if (s.kind === 'registration') changes.push({ type: 'deleted', instance: s.instance })
      e = next
    }
    this.#setHeartbeat(owner, undefined, Number.NaN)
    this.#owners.vouched[owner] = undefined
    this.#deadlines.clear(owner)
    this.#forget(owner)
    return changes
  }

  /** Bytes of the signed statements held, over all owners. */
  get bytes(): number {
    return this.#bytes
  }

  /** Bytes of the signed statements held of one owner. */
  bytesOf(ownerId: string): number {
    const owner = this.#owners.slotOf(ownerId)
    return owner === undefined ? 0 : (this.#owners.bytes[owner] as number)
  }

  /** Registrations and tombstones held of one owner. */
  recordsOf(ownerId: string): number {
    const owner = this.#owners.slotOf(ownerId)
    return owner === undefined ? 0 : this.#entries.count(owner)
  }

  /** True when this set holds anything of the owner. */
  holds(ownerId: string): boolean {
    return this.#owners.slotOf(ownerId) !== undefined
  }

  /** True when this set holds exactly this statement (same signature), not another version of it. */
  holdsStatement(statement: Statement): boolean {
    let held: Statement | undefined
    if (statement.kind === 'heartbeat') {
      const owner = this.#owners.slotOf(statement.owner)
      held = owner === undefined ? undefined : this.#owners.heartbeat[owner]
    } else held = this.get(statement.key)?.statement
    return held !== undefined && bytesEqual(held.signed.signature, statement.signed.signature)
  }

  #addBytes(owner: number, bytes: number): void {
    this.#owners.bytes[owner] = (this.#owners.bytes[owner] as number) + bytes
    this.#bytes += bytes
  }

  #remove(owner: number, e: number): void {
    const s = this.#entries.statement(e)
    if (s.kind === 'registration') this.#unindex(s)
    this.#entries.remove(owner, e)
    this.#size--
    this.#account(owner, s, false)
  }

  /** Notes a statement just added to (or taken from) the owner's entries in its digests and counts. */
  #account(owner: number, s: InstanceStatement, added: boolean): void {
    if (added) this.#sums.added(owner, s)
    else this.#sums.removed(owner, s)
    this.#buckets.xorStatement(this.#keyOf(owner), s.signed.signature)
    this.#addBytes(owner, added ? statementBytes(s) : -statementBytes(s))
    if (s.kind === 'registration')
      this.#owners.liveCount[owner] = (this.#owners.liveCount[owner] as number) + (added ? 1 : -1)
  }

  /** Replaces the owner's newest heartbeat, keeping its bucket fingerprint current. */
  #setHeartbeat(
    owner: number,
    heartbeat: HeartbeatStatement | undefined,
    refreshedAt: number,
  ): void {
    const owners = this.#owners
    const before = owners.heartbeat[owner]?.signed.signature
    const after = heartbeat?.signed.signature
    if (before !== after) {
      const key = this.#keyOf(owner)
      if (before !== undefined) this.#buckets.xorStatement(key, before)
      if (after !== undefined) this.#buckets.xorStatement(key, after)
    }
    const previous = owners.heartbeat[owner]
    if (previous !== heartbeat)
      this.#addBytes(
        owner,
        (heartbeat === undefined ? 0 : statementBytes(heartbeat)) -
          (previous === undefined ? 0 : statementBytes(previous)),
      )
    owners.heartbeat[owner] = heartbeat
    owners.heartbeatAt[owner] = refreshedAt
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
  #currentHeartbeatMatches(owner: number): boolean {
    const hb = this.#owners.heartbeat[owner]
    return (
      hb !== undefined &&
      hb.version.incarnation === this.#owners.incarnation[owner] &&
      this.#sums.equals(owner, LIVE, hb.ownerDigest)
    )
  }

  /** True when the vouching heartbeat is the newest one, at the same refresh time. */
  #vouchedIsCurrent(owner: number): boolean {
    const owners = this.#owners
    return (
      owners.vouched[owner] === owners.heartbeat[owner] &&
      (owners.heartbeat[owner] === undefined ||
        owners.vouchedAt[owner] === owners.heartbeatAt[owner])
    )
  }

  /** Takes the newest heartbeat as the vouching one when it vouches for this replica's view of the owner. */
  #vouch(owner: number): void {
    if (this.#vouchedIsCurrent(owner) || !this.#currentHeartbeatMatches(owner)) return
    const owners = this.#owners
    if (
      owners.vouched[owner] !== undefined &&
      (owners.heartbeatAt[owner] as number) < (owners.vouchedAt[owner] as number)
    )
      this.#deadlines.clear(owner)
    owners.vouched[owner] = owners.heartbeat[owner]
    owners.vouchedAt[owner] = owners.heartbeatAt[owner] as number
  }
}

/** What a statement costs the budget (admission.ts): its signed bytes, owner key and signature. */
export function statementBytes(s: Statement): number {
  return s.signed.body.byteLength + s.signed.owner.byteLength + s.signed.signature.byteLength
}

/** The join of two replicas' states, as a new set: every statement of both, merged. */
export function mergeSets(a: ServiceSet, b: ServiceSet): ServiceSet {
  const merged = new ServiceSet({ ownerRetentionMs: a.ownerRetentionMs })
  for (const source of [a, b]) {
    for (const entry of source.rawEntries()) merged.apply(entry.statement, entry.refreshedAt)
  }
  return merged
}

/**
 * The last-writer-wins rule on one register, holding `current` refreshed at `currentAt`, when
 * `incoming` arrives refreshed at `incomingAt`: the higher owner version wins; equal versions keep
 * the larger refresh time (and, for an equivocating owner, the larger signature). 'refreshed'
 * means the register keeps its statement with the incoming refresh time.
 */
function resolve(
  current: Statement | undefined,
  currentAt: number,
  incoming: Statement,
  incomingAt: number,
): ApplyOutcome {
  if (current === undefined) return 'accepted'
  const order = compareVersions(incoming.version, current.version)
  if (order !== 0) return order > 0 ? 'accepted' : 'stale'
  // The same statement object (a verify cache hands out one per statement) needs no comparison.
  const bySignature =
    incoming === current ? 0 : Buffer.compare(incoming.signed.signature, current.signed.signature)
  if (bySignature !== 0) return bySignature > 0 ? 'accepted' : 'stale'
  return incomingAt > currentAt ? 'refreshed' : 'duplicate'
}

/**
 * A refresh of a held statement goes no later than when this replica first received it
 * (`seenAt`): past that it is no refresh at all.
 */
function capRefresh(
  outcome: ApplyOutcome,
  currentAt: number,
  incomingAt: number,
  seenAt: number,
): ApplyOutcome {
  if (outcome !== 'refreshed') return outcome
  return Math.min(incomingAt, seenAt) > currentAt ? 'refreshed' : 'duplicate'
}

/** The result of merging one incoming entry into the register that holds its key. */
export interface Resolution<S extends Statement> {
  readonly outcome: ApplyOutcome
  readonly entry: Entry<S> | undefined
}

/** The last-writer-wins rule (see `resolve`) on entries: the outcome and the entry the register then holds. */
export function resolveEntry<S extends Statement>(
  current: Entry<S> | undefined,
  incoming: Entry<S>,
): Resolution<S> {
  if (current === undefined) return { outcome: 'accepted', entry: incoming }
  const outcome = resolve(
    current.statement,
    current.refreshedAt,
    incoming.statement,
    incoming.refreshedAt,
  )
  if (outcome === 'accepted') return { outcome, entry: incoming }
  if (outcome === 'refreshed')
    return { outcome, entry: { statement: current.statement, refreshedAt: incoming.refreshedAt } }
  return { outcome, entry: current }
}
