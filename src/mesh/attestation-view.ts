/**
 * One node's attested owners (src/membership/attestation.ts) over its replica, recomputed only
 * when something they depend on may have changed: a heartbeat whose list differs from the one
 * last used (or of an owner that was not live), a connection change, or the clock passing the
 * instant the first live owner used stops being live. Nothing is computed until something first
 * asks: the election, or the node's peer keeper about a remembered peer it has no connection to
 * (src/node/peer-keeper.ts). Listeners hear of every change of the set,
 * after the current turn (the election re-derives its leaders then, even if no instance changed).
 */
import { attestedOwners } from '../membership/attestation.ts'
import { bytesEqual } from '../membership/bytes.ts'
import type { ServiceSet } from '../membership/service-set.ts'
import type { HeartbeatStatement } from '../membership/statement.ts'
import type { Scheduler } from './scheduler.ts'

export interface AttestationViewInit {
  readonly set: ServiceSet
  readonly scheduler: Scheduler
  /** The liveness window of an owner's heartbeat (the mesh's default TTL). */
  readonly windowMs: number
  /** This node's owner ID and its connected neighbours': roots (with the peers heard from). */
  readonly roots: () => string[]
}

export class AttestationView {
  readonly #init: AttestationViewInit
  readonly #listeners = new Set<() => void>()
  /** The set last computed (undefined: never asked). */
  #attested: ReadonlySet<string> | undefined
  /** The lists of the live owners it used. */
  #lists = new Map<string, Uint8Array>()
  #validUntil = Number.NEGATIVE_INFINITY
  #dirty = true
  /**
   * Neighbours a frame came from, and when: a frame proves its sender's connection (the
   * transport authenticated it) even before the transport reports that connection, so these are
   * roots too, for one liveness window after the last frame.
   */
  readonly #heard = new Map<string, number>()
  #notifying = false

  constructor(init: AttestationViewInit) {
    this.#init = init
  }

  /** Whether `owner` is attested now. */
  has(owner: string): boolean {
    return this.#current().has(owner)
  }

  /** Calls `listener` after every change of the attested set; returns the remover. */
  onChange(listener: () => void): () => void {
    this.#current()
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * A heartbeat became its owner's newest here. It changes nothing when its owner was live and
   * lists the same neighbours, or was live and unattested (no edge leaves an owner not reached).
   */
  heartbeatApplied(heartbeat: HeartbeatStatement): void {
    const attested = this.#attested
    if (attested === undefined || this.#dirty) return
    const used = this.#lists.get(heartbeat.owner)
    if (used === undefined) this.#dirty = true
    else if (attested.has(heartbeat.owner) && !bytesEqual(used, heartbeat.neighbours))
      this.#dirty = true
  }

  /** A neighbour connected or disconnected. */
  peersChanged(): void {
    this.#dirty = true
  }

  /** A frame arrived from neighbour `peer`. */
  heardFrom(peer: string): void {
    if (this.#attested === undefined) return
    if (!this.#heard.has(peer) && !this.#attested.has(peer)) this.#dirty = true
    this.#heard.set(peer, this.#init.scheduler.now())
  }

  /** Recomputes if due, so listeners hear of changes that time alone made (called by the sweep). */
  check(): void {
    if (this.#listeners.size > 0) this.#current()
  }

  #current(): ReadonlySet<string> {
    const { set, scheduler, windowMs, roots } = this.#init
    const now = scheduler.now()
    if (this.#attested !== undefined && !this.#dirty && now <= this.#validUntil)
      return this.#attested
    const live = set.liveHeartbeats(now, windowMs)
    const lists = new Map<string, Uint8Array>()
    let validUntil = Number.POSITIVE_INFINITY
    for (const { heartbeat, liveUntil } of live) {
      lists.set(heartbeat.owner, heartbeat.neighbours)
      if (liveUntil < validUntil) validUntil = liveUntil
    }
    const rooted = roots()
    for (const [peer, at] of this.#heard) {
      if (now - at <= windowMs) rooted.push(peer)
      else this.#heard.delete(peer)
    }
    const attested = attestedOwners(
      rooted,
      live.map(({ heartbeat }) => ({
        owner: heartbeat.owner,
        key: heartbeat.signed.owner,
        neighbours: heartbeat.neighbours,
      })),
    )
    const previous = this.#attested
    this.#attested = attested
    this.#lists = lists
    this.#validUntil = validUntil
    this.#dirty = false
    if (previous !== undefined && !sameSet(previous, attested)) this.#notify()
    return attested
  }

  #notify(): void {
    if (this.#notifying || this.#listeners.size === 0) return
    this.#notifying = true
    this.#init.scheduler.setTimer(0, () => {
      this.#notifying = false
      for (const listener of [...this.#listeners]) {
        try {
          listener()
        } catch {
          // A listener's failure is its own.
        }
      }
    })
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false
  for (const x of a) if (!b.has(x)) return false
  return true
}
