/**
 * The tests' own model of a service set: plain maps and the rules as the design states them,
 * written without the code under test, so properties state their expectations from it.
 *
 * - Per owner, the floor is the highest incarnation heard; statements below it are gone.
 * - One register per instance key and one per owner's heartbeat. It holds the heard statement
 *   with the highest (incarnation, counter); at one version (an equivocating owner signed two
 *   bodies) the one whose signature is larger as unsigned bytes; refreshed at the latest time
 *   any copy of that statement was heard.
 * - Expiry on the receiver's clock: a tombstone lives exactly 2 × its TTL from its refresh, or
 *   2 × the lease of its owner's newest heartbeat when longer, while that heartbeat is
 *   remembered; a heartbeat exactly max(owner retention, its lease); a registration at least its TTL from its
 *   own refresh, and max(TTL, lease) from the newest heartbeat held when that heartbeat covers it
 *   (a newer version) and vouches for exactly the owner's registrations held; and at most the
 *   latest of those over every covering heartbeat heard (which one vouched depends on arrival
 *   order, which the model leaves open).
 */
import type { HeartbeatStatement, Statement } from '../../src/membership/statement.ts'
import { type Heard, signatureOf, type Universe } from './histories.ts'

/** Pinned here, not imported: a change to the code's factor must fail these tests. */
export const TOMBSTONE_RETENTION_FACTOR = 2

export type ModelState = ReadonlyMap<string, Heard>

/** The register a statement writes: its instance key, or its owner's heartbeat register. */
export function registerOf(s: Statement): string {
  return s.kind === 'heartbeat' ? `heartbeat ${s.owner}` : s.key
}

/** True when `a` wins over `b` in one register. */
function newer(a: Statement, b: Statement): boolean {
  if (a.version.incarnation !== b.version.incarnation)
    return a.version.incarnation > b.version.incarnation
  if (a.version.counter !== b.version.counter) return a.version.counter > b.version.counter
  return Buffer.compare(a.signed.signature, b.signed.signature) > 0
}

export function floorsOf(heard: readonly Heard[]): Map<string, bigint> {
  const floors = new Map<string, bigint>()
  for (const { statement: s } of heard) {
    const floor = floors.get(s.owner)
    if (floor === undefined || s.version.incarnation > floor)
      floors.set(s.owner, s.version.incarnation)
  }
  return floors
}

/** What a replica that heard `heard` (in any order) holds. */
export function modelState(heard: readonly Heard[]): Map<string, Heard> {
  const floors = floorsOf(heard)
  const state = new Map<string, Heard>()
  for (const h of heard) {
    if (h.statement.version.incarnation < (floors.get(h.statement.owner) as bigint)) continue
    const register = registerOf(h.statement)
    const held = state.get(register)
    if (held === undefined || newer(h.statement, held.statement)) state.set(register, h)
    else if (
      signatureOf(held.statement) === signatureOf(h.statement) &&
      h.refreshedAt > held.refreshedAt
    )
      state.set(register, { statement: held.statement, refreshedAt: h.refreshedAt })
  }
  return state
}

function describe(s: Statement): string {
  const register = registerOf(s).replaceAll('\n', '/')
  return `${s.kind} ${register} ${s.version.incarnation}.${s.version.counter} ${signatureOf(s)}`
}

/** A canonical form of held entries: statement and refresh time, sorted. */
export function canonical(entries: Iterable<Heard>): string[] {
  return [...entries].map((e) => `${describe(e.statement)} @${e.refreshedAt}`).sort()
}

/** A canonical form of the statements held, without refresh times. */
export function canonicalContent(entries: Iterable<Heard>): string[] {
  return [...entries].map((e) => describe(e.statement)).sort()
}

/** The keys of the live registrations a state holds. */
export function liveKeys(state: ModelState): string[] {
  const out: string[] = []
  for (const { statement } of state.values())
    if (statement.kind === 'registration') out.push(statement.key)
  return out.sort()
}

export interface Lifetime {
  /** Held at every time before this (receiver's clock). */
  readonly liveBefore: number
  /** Gone at every time from this on. */
  readonly goneFrom: number
}

/** When each statement held runs out, per register (see the rules above). */
export function lifetimes(
  heard: readonly Heard[],
  universe: Universe,
  ownerRetentionMs: number,
): Map<string, Lifetime> {
  const state = modelState(heard)
  const floors = floorsOf(heard)
  const out = new Map<string, Lifetime>()
  for (const [register, { statement: s, refreshedAt }] of state) {
    if (s.kind === 'tombstone') {
      // Kept 2 × max(TTL, lease of the newest heartbeat) while that heartbeat is remembered.
      const hb = state.get(`heartbeat ${s.owner}`)
      const lease = (hb?.statement as HeartbeatStatement | undefined)?.leaseMs ?? 0
      const forgetAt =
        hb === undefined
          ? Number.NEGATIVE_INFINITY
          : hb.refreshedAt + Math.max(ownerRetentionMs, lease)
      const due = Math.max(
        refreshedAt + TOMBSTONE_RETENTION_FACTOR * s.ttlMs,
        Math.min(forgetAt, refreshedAt + TOMBSTONE_RETENTION_FACTOR * Math.max(s.ttlMs, lease)),
      )
      out.set(register, { liveBefore: due, goneFrom: due })
    } else if (s.kind === 'heartbeat') {
      const due = refreshedAt + Math.max(ownerRetentionMs, s.leaseMs)
      out.set(register, { liveBefore: due, goneFrom: due })
    } else {
      const ttl = s.instance.ttlMs
      const own = refreshedAt + ttl
      let liveBefore = own
      const hb = state.get(`heartbeat ${s.owner}`)
      if (
        hb !== undefined &&
        covers(hb.statement as HeartbeatStatement, s) &&
        vouchesExactly(hb.statement as HeartbeatStatement, universe, state, s.owner)
      )
        liveBefore = Math.max(
          own,
          hb.refreshedAt + Math.max(ttl, (hb.statement as HeartbeatStatement).leaseMs),
        )
      let goneFrom = own
      for (const h of heard) {
        const c = h.statement
        if (
          c.kind === 'heartbeat' &&
          c.owner === s.owner &&
          c.version.incarnation === floors.get(s.owner) &&
          covers(c, s)
        )
          goneFrom = Math.max(goneFrom, h.refreshedAt + Math.max(ttl, c.leaseMs))
      }
      out.set(register, { liveBefore, goneFrom })
    }
  }
  return out
}

/** A heartbeat covers the statements older than it (its owner signed them before it). */
export function covers(hb: HeartbeatStatement, s: Statement): boolean {
  if (hb.version.incarnation !== s.version.incarnation)
    return hb.version.incarnation > s.version.incarnation
  return hb.version.counter > s.version.counter
}

/**
 * True when the owner's newest heartbeat held vouches for exactly the owner's registrations held
 * (the same statements: a heartbeat's digest covers its owner's registrations' signatures).
 */
export function inSync(universe: Universe, state: ModelState, owner: string): boolean {
  const hb = state.get(`heartbeat ${owner}`)?.statement
  return hb?.kind === 'heartbeat' && vouchesExactly(hb, universe, state, owner)
}

function vouchesExactly(
  hb: HeartbeatStatement,
  universe: Universe,
  state: ModelState,
  owner: string,
): boolean {
  const vouched = universe.vouchesFor.get(hb)
  if (vouched === undefined) return false
  const held = new Set<string>()
  for (const { statement } of state.values())
    if (statement.kind === 'registration' && statement.owner === owner)
      held.add(signatureOf(statement))
  return held.size === vouched.size && [...held].every((sig) => vouched.has(sig))
}

/**
 * How old a statement may arrive and still be taken, given what the replica holds: a
 * registration its TTL, or the lease of the owner's newest heartbeat held when that covers it;
 * a tombstone as long as it would be kept; a heartbeat as long as it would be remembered.
 */
export function lifetimeOnArrival(
  s: Statement,
  held: ModelState,
  ownerRetentionMs: number,
): number {
  if (s.kind === 'heartbeat') return Math.max(ownerRetentionMs, s.leaseMs)
  const hb = held.get(`heartbeat ${s.owner}`)?.statement as HeartbeatStatement | undefined
  if (s.kind === 'tombstone')
    return TOMBSTONE_RETENTION_FACTOR * Math.max(s.ttlMs, hb?.leaseMs ?? 0)
  return Math.max(s.instance.ttlMs, hb !== undefined && covers(hb, s) ? hb.leaseMs : 0)
}

/** What the receive path does with one arrival (see `ReceiveModel`). */
export type ArrivalOutcome = 'taken' | 'expired-on-arrival' | 'replayed' | 'stale'

/**
 * The receive path's own rules on top of the merge, as the design states them (relays cannot
 * extend lifetimes), for a replica hearing statements one at a time with the age a relay claims:
 * - a held statement heard again is refreshed no later than when this replica first heard it;
 * - a registration older than the owner's newest heartbeat held (it covers it) is refreshed no
 *   later than that heartbeat, and lives max(TTL, its lease);
 * - such a registration, of a key nothing is held of, while that heartbeat (same incarnation)
 *   vouches for exactly the owner's registrations held, is a replay;
 * - whatever arrives older than its lifetime is dropped before it is merged.
 */
export class ReceiveModel {
  readonly #universe: Universe
  readonly #ownerRetentionMs: number
  readonly #state = new Map<string, Heard & { readonly seenAt: number }>()
  readonly #floors = new Map<string, bigint>()

  constructor(universe: Universe, ownerRetentionMs: number) {
    this.#universe = universe
    this.#ownerRetentionMs = ownerRetentionMs
  }

  get state(): ModelState {
    return this.#state
  }

  receive(s: Statement, ageMs: number, now: number): ArrivalOutcome {
    let refreshedAt = now - ageMs
    const hbHeard = this.#state.get(`heartbeat ${s.owner}`)
    const hb = hbHeard?.statement as HeartbeatStatement | undefined
    if (s.kind === 'registration' && hb !== undefined && covers(hb, s)) {
      if (
        hb.version.incarnation === s.version.incarnation &&
        !this.#state.has(s.key) &&
        vouchesExactly(hb, this.#universe, this.#state, s.owner)
      )
        return 'replayed'
      refreshedAt = Math.min(refreshedAt, (hbHeard as Heard).refreshedAt)
    }
    if (now - refreshedAt >= lifetimeOnArrival(s, this.#state, this.#ownerRetentionMs))
      return 'expired-on-arrival'
    const floor = this.#floors.get(s.owner) ?? 0n
    if (s.version.incarnation < floor) return 'stale'
    if (s.version.incarnation > floor) {
      this.#floors.set(s.owner, s.version.incarnation)
      for (const [register, h] of this.#state)
        if (
          h.statement.owner === s.owner &&
          h.statement.version.incarnation < s.version.incarnation
        )
          this.#state.delete(register)
    }
    const register = registerOf(s)
    const held = this.#state.get(register)
    if (held === undefined || newer(s, held.statement)) {
      this.#state.set(register, { statement: s, refreshedAt, seenAt: now })
      return 'taken'
    }
    if (signatureOf(held.statement) !== signatureOf(s)) return 'stale'
    const capped = Math.min(refreshedAt, held.seenAt)
    if (capped > held.refreshedAt) this.#state.set(register, { ...held, refreshedAt: capped })
    return 'taken'
  }
}
