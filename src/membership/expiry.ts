/**
 * Expiry deadlines of a service set: when each held statement runs out, and a per-owner cache of
 * the earliest of them so a sweep visits only owners with something due.
 *
 * - A registration lives its TTL from its own refresh, or from the refresh of the heartbeat that
 *   vouches for it (one newer than it, whose digest matched what this replica held), with that
 *   heartbeat's lease when it is longer (service-set.ts, "Leases").
 * - A tombstone is kept TOMBSTONE_RETENTION_FACTOR times the longest a copy of what it deletes may
 *   still be taken here: its TTL, or its owner's newest heartbeat's lease when longer.
 * - A heartbeat (and with it the owner's incarnation floor) is remembered `ownerRetentionMs`
 *   after its refresh, or its lease when longer.
 *
 * The cache (`Deadlines`) keeps, per owner, a lower bound of its next due (NaN: unknown) and, for
 * the whole set, a lower bound of those. Adding a statement lowers both to its own due; anything
 * that may bring a due forward by another way (a new incarnation, a heartbeat refreshed earlier
 * or with a shorter lease, a vouching heartbeat older than the one it replaces) clears them. A
 * sweep before the set's bound visits nothing.
 */
import type { OwnerTable } from './owner-table.ts'
import type {
  HeartbeatStatement,
  InstanceStatement,
  RegistrationStatement,
  Statement,
  TombstoneStatement,
} from './statement.ts'
import { compareVersions } from './version.ts'

/** Tombstones are kept this many TTLs, so a late copy of the registration cannot revive it. */
export const TOMBSTONE_RETENTION_FACTOR = 2

/** The per-owner deadline cache and its lower bound over every owner. */
export class Deadlines {
  readonly #owners: OwnerTable
  /** A lower bound of every owner's deadline (cleared or lowered with any of them): no sweep before it. */
  #nextDue = Number.NEGATIVE_INFINITY

  constructor(owners: OwnerTable) {
    this.#owners = owners
  }

  /** A lower bound of the next due of any owner (−∞: unknown, so a sweep may find something now). */
  nextDue(): number {
    return this.#nextDue
  }

  /** True when a sweep at `now` may find something due. */
  anyDue(now: number): boolean {
    return !(now < this.#nextDue)
  }

  /** True when the owner's cached deadline has passed at `now` (or is unknown). */
  due(owner: number, now: number): boolean {
    return !(now < (this.#owners.deadline[owner] as number))
  }

  /** Sets the set's lower bound after a sweep over every owner. */
  swept(nextDue: number): void {
    this.#nextDue = nextDue
  }

  /** Forgets the owner's cached deadline (something may now be due earlier), and so the set's. */
  clear(owner: number): void {
    this.#owners.deadline[owner] = Number.NaN
    this.#nextDue = Number.NEGATIVE_INFINITY
  }

  /** Lowers the owner's cached deadline (and the set's) to `due`, when something added runs out then. */
  dueBy(owner: number, due: number): void {
    // An unknown (NaN) deadline stays unknown.
    if (due < (this.#owners.deadline[owner] as number)) this.#owners.deadline[owner] = due
    if (due < this.#nextDue) this.#nextDue = due
  }
}

/** When a registration runs out: its TTL from its own refresh, or from the vouching heartbeat's, with its lease. */
export function liveUntil(
  s: RegistrationStatement,
  refreshedAt: number,
  vouched: HeartbeatStatement | undefined,
  vouchedAt: number,
): number {
  const own = ownDue(s, refreshedAt)
  if (vouched === undefined || !covers(vouched, s)) return own
  return Math.max(own, vouchedAt + Math.max(s.instance.ttlMs, vouched.leaseMs))
}

/** When a registration or tombstone runs out by its own refresh alone (no lease): a lower bound of its due. */
export function ownDue(s: InstanceStatement, refreshedAt: number): number {
  return s.kind === 'registration'
    ? refreshedAt + s.instance.ttlMs
    : refreshedAt + tombstoneRetention(s, 0)
}

/** How long a tombstone is kept, given the lease of its owner's newest heartbeat (0: none). */
export function tombstoneRetention(s: TombstoneStatement, leaseMs: number): number {
  return TOMBSTONE_RETENTION_FACTOR * Math.max(s.ttlMs, leaseMs)
}

/** How long a heartbeat is remembered after its refresh, given the set's owner retention. */
export function heartbeatRetention(
  heartbeat: HeartbeatStatement,
  ownerRetentionMs: number,
): number {
  return Math.max(ownerRetentionMs, heartbeat.leaseMs)
}

/** True when the heartbeat is newer than the statement, so it vouches for it. */
export function covers(heartbeat: HeartbeatStatement, statement: Statement): boolean {
  return compareVersions(statement.version, heartbeat.version) < 0
}

/** A registration's refresh time, including what a vouching heartbeat grants: it covers what existed at its version. */
export function effectiveRefresh(
  s: InstanceStatement,
  refreshedAt: number,
  vouched: HeartbeatStatement | undefined,
  vouchedAt: number,
): number {
  if (s.kind !== 'registration' || vouched === undefined || !covers(vouched, s)) return refreshedAt
  return Math.max(refreshedAt, vouchedAt)
}
