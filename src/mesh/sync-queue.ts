/**
 * One anti-entropy exchange in flight at a time.
 *
 * Why: after a heal every new connection wants a sync at once, and each answer is computed from
 * the digest sent with the request. Run concurrently, every answer repeats what the others bring
 * (a node with four links across a healed cut received the other side four times). Run one after
 * the other, each request carries a digest that already includes the previous answers, so later
 * answers hold only what is still missing.
 *
 * An exchange ends when the driver reports the peer's answer (`answered`: the frame that leaves
 * nothing more to ask, see mesh.ts), when sending the request fails (then the fallback peer, if
 * any, is tried), or after `replyWaitMs` without an answer (a lost frame or a vanished peer).
 */
import type { Scheduler } from './scheduler.ts'

interface Request {
  readonly peer: string
  readonly fallback: string | undefined
  /** The owners to compare (undefined: all). */
  owners: readonly string[] | undefined
}

/** Starts an exchange with `peer` over `owners` (all when undefined); rejects if unreachable. */
export type StartExchange = (peer: string, owners: readonly string[] | undefined) => Promise<void>

export class SyncQueue {
  readonly #start: StartExchange
  readonly #scheduler: Scheduler
  readonly #replyWaitMs: number
  readonly #waiting: Request[] = []
  #inFlight: { peer: string; owners: readonly string[] | undefined; cancel: () => void } | undefined
  #closed = false

  /** `start` sends the digest that opens an exchange. */
  constructor(start: StartExchange, scheduler: Scheduler, replyWaitMs: number) {
    this.#start = start
    this.#scheduler = scheduler
    this.#replyWaitMs = replyWaitMs
  }

  /**
   * Asks for an exchange with `peer` (or `fallback` if `peer` cannot be reached) over `owners`
   * (all when undefined). A no-op when the exchange in flight with `peer` already covers those
   * owners; merged into the request already waiting for `peer`, if any.
   */
  request(peer: string, fallback?: string, owners?: readonly string[]): void {
    if (this.#closed) return
    if (this.#inFlight?.peer === peer && covers(this.#inFlight.owners, owners)) return
    const waiting = this.#waiting.find((r) => r.peer === peer)
    if (waiting !== undefined) {
      waiting.owners =
        waiting.owners === undefined || owners === undefined
          ? undefined
          : [...new Set([...waiting.owners, ...owners])]
      return
    }
    this.#waiting.push({ peer, fallback: fallback === peer ? undefined : fallback, owners })
    if (this.#inFlight === undefined) this.#next()
  }

  /** `from` answered: the exchange with `from`, if one is in flight, is over. */
  answered(from: string): void {
    if (this.#inFlight?.peer !== from) return
    this.#inFlight.cancel()
    this.#inFlight = undefined
    this.#next()
  }

  /** Drops everything waiting; nothing starts afterwards. */
  close(): void {
    this.#closed = true
    this.#waiting.length = 0
    this.#inFlight?.cancel()
    this.#inFlight = undefined
  }

  #next(): void {
    const request = this.#waiting.shift()
    if (request === undefined || this.#closed) return
    this.#open(request.peer, request.fallback, request.owners)
  }

  #open(peer: string, fallback: string | undefined, owners: readonly string[] | undefined): void {
    const cancel = this.#scheduler.setTimer(this.#replyWaitMs, () => this.answered(peer))
    this.#inFlight = { peer, owners, cancel }
    this.#start(peer, owners).catch(() => {
      if (this.#inFlight?.peer !== peer) return
      cancel()
      this.#inFlight = undefined
      if (fallback !== undefined && !this.#closed) this.#open(fallback, undefined, owners)
      else this.#next()
    })
  }
}

/** True when an exchange over `held` compares every owner of one over `wanted`. */
function covers(
  held: readonly string[] | undefined,
  wanted: readonly string[] | undefined,
): boolean {
  if (held === undefined) return true
  if (wanted === undefined) return false
  const set = new Set(held)
  return wanted.every((o) => set.has(o))
}
