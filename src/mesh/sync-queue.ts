/**
 * One anti-entropy exchange in flight at a time.
 *
 * Why: after a heal every new connection wants a sync at once, and each answer is computed from
 * the digest sent with the request. Run concurrently, every answer repeats what the others bring
 * (a node with four links across a healed cut received the other side four times). Run one after
 * the other, each request carries a digest that already includes the previous answers, so later
 * answers hold only what is still missing.
 *
 * An exchange ends when the peer's answer (a frame with its digest and no request for a reply)
 * arrives, when sending the request fails (then the fallback peer, if any, is tried), or after
 * `replyWaitMs` without an answer (a lost frame or a vanished peer).
 */
import type { Scheduler } from './scheduler.ts'

interface Request {
  readonly peer: string
  readonly fallback: string | undefined
}

export class SyncQueue {
  readonly #start: (peer: string) => Promise<void>
  readonly #scheduler: Scheduler
  readonly #replyWaitMs: number
  readonly #waiting: Request[] = []
  #inFlight: { peer: string; cancel: () => void } | undefined
  #closed = false

  /** `start` sends the digest that opens an exchange with `peer`; it rejects if the peer is unreachable. */
  constructor(start: (peer: string) => Promise<void>, scheduler: Scheduler, replyWaitMs: number) {
    this.#start = start
    this.#scheduler = scheduler
    this.#replyWaitMs = replyWaitMs
  }

  /** Asks for an exchange with `peer` (or `fallback` if `peer` cannot be reached); no-op if one is already waiting. */
  request(peer: string, fallback?: string): void {
    if (this.#closed || this.#inFlight?.peer === peer) return
    if (this.#waiting.some((r) => r.peer === peer)) return
    this.#waiting.push({ peer, fallback: fallback === peer ? undefined : fallback })
    if (this.#inFlight === undefined) this.#next()
  }

  /** A frame with `from`'s digest and no reply request arrived: the exchange with `from` is answered. */
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
    this.#open(request.peer, request.fallback)
  }

  #open(peer: string, fallback: string | undefined): void {
    const cancel = this.#scheduler.setTimer(this.#replyWaitMs, () => this.answered(peer))
    this.#inFlight = { peer, cancel }
    this.#start(peer).catch(() => {
      if (this.#inFlight?.peer !== peer) return
      cancel()
      this.#inFlight = undefined
      if (fallback !== undefined && !this.#closed) this.#open(fallback, undefined)
      else this.#next()
    })
  }
}
