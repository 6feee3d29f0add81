/**
 * Anti-entropy over one service set: what a replica tells a peer of itself (digests, bucket
 * fingerprints) and what it sends back for a peer's (deltas, differing summaries). Pure reads of
 * the set's state; the set owns and mutates it.
 *
 * - A digest summarises each owner: incarnation, newest heartbeat counter, highest counter held,
 *   and a hash of the registrations and tombstones held (owner-sums.ts). A full digest lists
 *   every owner; a partial one only some.
 * - A delta for a remote digest is what the remote lacks: for an owner whose summary differs,
 *   the statements above its highest counter when it is only behind, else all of the owner's;
 *   a newer heartbeat alone when only that differs; owners a full digest (or a partial digest's
 *   covered buckets) does not list, whole.
 * - Beyond the heartbeat capacity an exchange opens with bucket fingerprints (buckets.ts): the
 *   answer lists the summaries of every owner held in the buckets that differ, covering them, so
 *   an owner of those buckets it does not list is one it lacks.
 *
 * Statements go out with their effective refresh times (expiry.ts): the set's `collect` folds in
 * the vouching heartbeat's refresh.
 */
import { type BucketFingerprints, type BucketSet, bucketBitsFor, inBucketSet } from './buckets.ts'
import type { Entry } from './entry.ts'
import { END, type EntryLists } from './entry-lists.ts'
import { type OwnerSums, SUMMARY } from './owner-sums.ts'
import { NO_OWNER, type OwnerTable } from './owner-table.ts'
import type { HeartbeatStatement } from './statement.ts'
import type * as wire from './wire.ts'

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

/** The summary of an owner a replica holds nothing of. */
const EMPTY_SUMMARY = Object.freeze({
  incarnation: 0n,
  heartbeatCounter: 0n,
  maxCounter: 0n,
  statementsHash: new Uint8Array(0),
})

/** What of a service set its digests read. */
export interface DigestSource {
  readonly owners: OwnerTable
  readonly entries: EntryLists
  readonly sums: OwnerSums
  readonly buckets: BucketFingerprints
  /**
   * Appends the owner's heartbeat, then its registrations and tombstones with a counter above
   * `counter`, with effective refresh times.
   */
  readonly collect: (owner: number, counter: bigint, out: Entry[]) => void
}

/** Digests and deltas of one service set. */
export class SetDigests {
  readonly #source: DigestSource
  /** Counts `delta` calls, so each marks the owners its digest lists without a set of them. */
  #deltaCalls = 0

  constructor(source: DigestSource) {
    this.#source = source
  }

  /**
   * This replica's digest: a summary of every owner held, or a partial digest of the owners
   * listed in `only` (those this replica holds nothing of are left out).
   */
  digest(only?: Iterable<string>): Digest {
    const held = this.#source.owners
    const owners: OwnerSummary[] = []
    if (only === undefined) {
      for (const owner of held.slots()) owners.push(this.#summaryOf(owner))
      return { owners, partial: false }
    }
    for (const ownerId of only) {
      const owner = held.slotOf(ownerId)
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
    this.#deltaCalls = (this.#deltaCalls + 1) | 0
    const call = this.#deltaCalls
    const { owners, sums, collect } = this.#source
    for (const r of remote.owners) {
      const owner = this.#slotOfSummary(r)
      if (owner === undefined) continue
      owners.listedIn[owner] = call
      const incarnation = owners.incarnation[owner] as bigint
      if (r.incarnation > incarnation) continue
      if (r.incarnation < incarnation) {
        collect(owner, -1n, out)
      } else if (!sums.equals(owner, SUMMARY, r.statementsHash)) {
        const after = r.maxCounter < this.#maxCounter(owner) ? r.maxCounter : -1n
        collect(owner, after, out)
      } else if (heartbeatCounterOf(owners.heartbeat[owner]) > r.heartbeatCounter) {
        const hb = owners.heartbeat[owner] as HeartbeatStatement
        out.push({ statement: hb, refreshedAt: owners.heartbeatAt[owner] as number })
      }
    }
    const covered = remote.covered
    if (!remote.partial || covered !== undefined) {
      for (let owner = owners.first(); owner !== NO_OWNER; owner = owners.next(owner))
        if (
          owners.listedIn[owner] !== call &&
          (covered === undefined || inBucketSet(covered, owners.keyOf(owner)))
        )
          collect(owner, -1n, out)
    }
    return out
  }

  /** The opening of a bucketed exchange: this replica's bucket fingerprints, about one owner per bucket. */
  bucketDigest(): BucketDigest {
    const bits = bucketBitsFor(this.#source.owners.size)
    return { bits, fingerprints: this.#source.buckets.fingerprints(bits) }
  }

  /**
   * The answer to a bucket digest: this replica's summaries of every owner it holds in the
   * buckets whose fingerprints differ, covering those buckets; an empty partial digest when none
   * differ.
   */
  bucketAnswer(remote: BucketDigest): Digest {
    const covered = this.#source.buckets.differing(remote.bits, remote.fingerprints)
    if (covered === undefined) return { owners: [], partial: true }
    const held = this.#source.owners
    const owners: OwnerSummary[] = []
    for (const owner of held.slots())
      if (inBucketSet(covered, held.keyOf(owner))) owners.push(this.#summaryOf(owner))
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
      const owner = this.#slotOfSummary(r)
      if (owner === undefined) owners.push({ ...EMPTY_SUMMARY, ownerId: r.ownerId, owner: r.owner })
      else if (!this.#summarisedAs(owner, r)) owners.push(this.#summaryOf(owner))
    }
    return { owners, partial: true }
  }

  /** True when this replica holds the summarised owner and would summarise it the same. */
  agreesWith(summary: OwnerSummary): boolean {
    const owner = this.#slotOfSummary(summary)
    return owner !== undefined && this.#summarisedAs(owner, summary)
  }

  #slotOfSummary(summary: OwnerSummary): number | undefined {
    return summary.ownerId === undefined ? undefined : this.#source.owners.slotOf(summary.ownerId)
  }

  /** True when `summary` is what this replica would say of the owner. */
  #summarisedAs(owner: number, summary: OwnerSummary): boolean {
    const { owners, sums } = this.#source
    return (
      summary.incarnation === owners.incarnation[owner] &&
      summary.heartbeatCounter === heartbeatCounterOf(owners.heartbeat[owner]) &&
      summary.maxCounter === this.#maxCounter(owner) &&
      sums.equals(owner, SUMMARY, summary.statementsHash)
    )
  }

  #summaryOf(owner: number): OwnerSummary {
    const { owners, sums } = this.#source
    return {
      ownerId: owners.idOf(owner),
      owner: owners.keyOf(owner),
      incarnation: owners.incarnation[owner] as bigint,
      heartbeatCounter: heartbeatCounterOf(owners.heartbeat[owner]),
      maxCounter: this.#maxCounter(owner),
      statementsHash: sums.copy(owner, SUMMARY),
    }
  }

  /** The highest counter among the owner's registrations and tombstones held, 0 for none. */
  #maxCounter(owner: number): bigint {
    const entries = this.#source.entries
    let max = 0n
    for (let e = entries.first(owner); e !== END; e = entries.next(e)) {
      const { counter } = entries.statement(e).version
      if (counter > max) max = counter
    }
    return max
  }
}

/** The counter of the owner's newest heartbeat held, 0 for none (as summaries state it). */
function heartbeatCounterOf(heartbeat: HeartbeatStatement | undefined): bigint {
  return heartbeat?.version.counter ?? 0n
}
