/**
 * A graceful leave that neighbours confirm.
 *
 * Why: a push is best effort. Gossipsub drops what is still queued for a peer when it stops, and
 * a frame lost on a lossy link is simply gone. A neighbour that missed the tombstones keeps the
 * leaver's instances for a whole TTL (and reports them expired, not deleted), so `stop()` should
 * not close while one might still lack them.
 *
 * How: the leaver sends every neighbour its last statements about itself (the tombstones and the
 * heartbeat that vouches for none) with a digest of this one owner that asks for a reply. The
 * neighbour merges the statements, then answers with its summaries that differ: it leaves this
 * owner out when it holds what the leaver holds, and lists its own older summary when it lacks
 * something. The driver reports each digest answer (a digest that asks for nothing back) with
 * `answered(peer, confirms)`: a confirming answer ends the wait for that neighbour; any other
 * answer resends at once. A neighbour that has not answered is sent the statements again every
 * `resendMs` (the sync backoff: leave frames are small, and many tries outlast a lossy link).
 * The leave ends when every neighbour confirmed or disconnected, or after `timeoutMs`
 * (receivers that never confirmed fall back to expiry after the TTL). While it waits, the
 * leaver still merges and answers what it receives, so nodes that leave together confirm each
 * other; it starts no exchange of its own.
 *
 * A digest answer is matched to the leave by sender only: frames carry no request ids. Once a
 * leave starts, no exchange of the leaver's own is started, so only an answer to one that was
 * already in flight can stand in for a confirmation; that neighbour then got the push and the
 * first direct send, as before confirmation existed. Requests (a neighbour's own pull, another
 * leaver's digest) ask for a reply and never count.
 */
import type { Scheduler } from './scheduler.ts'

export interface LeaveOutcome {
  /** Neighbours that confirmed holding the leaver's last statements. */
  readonly confirmed: number
  /** Neighbours still unconfirmed when `timeoutMs` ran out (those that disconnected are neither). */
  readonly unconfirmed: number
}

export interface LeaveInit {
  readonly peers: readonly string[]
  /** Sends the leaver's last statements and its one-owner digest to `peer`. */
  readonly send: (peer: string) => Promise<void>
  readonly scheduler: Scheduler
  readonly resendMs: number
  readonly timeoutMs: number
}

export class Leave {
  readonly #init: LeaveInit
  /** Unconfirmed neighbours, each with the cancel function of its next resend. */
  readonly #pending = new Map<string, () => void>()
  #confirmed = 0
  #finish: ((outcome: LeaveOutcome) => void) | undefined
  #cancelTimeout: () => void = () => undefined

  constructor(init: LeaveInit) {
    this.#init = init
  }

  /** Sends to every neighbour; resolves when all confirmed or left, or when the timeout ran out. */
  run(): Promise<LeaveOutcome> {
    const done = new Promise<LeaveOutcome>((resolve) => {
      this.#finish = resolve
    })
    for (const peer of new Set(this.#init.peers)) this.#sendTo(peer)
    if (this.#pending.size === 0) this.#end()
    else
      this.#cancelTimeout = this.#init.scheduler.setTimer(this.#init.timeoutMs, () => this.#end())
    return done
  }

  /** A digest answer from `peer`; `confirms` when it shows the peer holds what the leaver holds. */
  answered(peer: string, confirms: boolean): void {
    if (!this.#pending.has(peer)) return
    if (!confirms) {
      this.#sendTo(peer)
      return
    }
    this.#confirmed++
    this.#settle(peer)
  }

  /** `peer` is no longer a neighbour: nothing more can be confirmed there. */
  disconnected(peer: string): void {
    if (this.#pending.has(peer)) this.#settle(peer)
  }

  #sendTo(peer: string): void {
    this.#pending.get(peer)?.()
    this.#pending.set(
      peer,
      this.#init.scheduler.setTimer(this.#init.resendMs, () => this.#sendTo(peer)),
    )
    // A failed send (the peer vanished) is retried like a lost one, until it disconnects.
    this.#init.send(peer).catch(() => undefined)
  }

  #settle(peer: string): void {
    this.#pending.get(peer)?.()
    this.#pending.delete(peer)
    if (this.#pending.size === 0) this.#end()
  }

  #end(): void {
    const finish = this.#finish
    if (finish === undefined) return
    this.#finish = undefined
    this.#cancelTimeout()
    const unconfirmed = this.#pending.size
    for (const cancel of this.#pending.values()) cancel()
    this.#pending.clear()
    finish({ confirmed: this.#confirmed, unconfirmed })
  }
}
