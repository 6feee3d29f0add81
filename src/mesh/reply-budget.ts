/**
 * How much this node answers each neighbour: a budget of answer bytes per neighbour.
 *
 * Why: an anti-entropy request is small (an empty digest is a few bytes) and its answer can be
 * this node's whole state, so a peer repeating small requests would pull answers thousands of
 * times larger than what it sends, and make this node compute each. Each neighbour may draw
 * `burstBytes` of answers at once (a new node's first exchange: the whole state) and
 * `bytesPerSecond` after that. A request is answered only while its sender's balance is
 * positive, checked before the answer is computed, and the answer's size is then taken from it
 * (possibly into debt), so both the bytes sent and the answers computed stay within the budget.
 * A refused request goes unanswered (the asker's exchange times out and it asks again later)
 * and is counted. Honest neighbours run one exchange at a time, at most one per sync backoff,
 * and after the first their answers carry only differences.
 *
 * State: one balance per neighbour, dropped when it disconnects; at most MAX_PEERS of them.
 */
import type { Scheduler } from './scheduler.ts'

const MAX_PEERS = 4096

interface Balance {
  bytes: number
  at: number
}

export class ReplyBudget {
  readonly #bytesPerSecond: number
  readonly #burstBytes: number
  readonly #scheduler: Scheduler
  readonly #balances = new Map<string, Balance>()

  constructor(bytesPerSecond: number, burstBytes: number, scheduler: Scheduler) {
    this.#bytesPerSecond = bytesPerSecond
    this.#burstBytes = burstBytes
    this.#scheduler = scheduler
  }

  /** True when `peer` may be answered now. */
  allows(peer: string): boolean {
    return this.#balance(peer).bytes > 0
  }

  /** Takes an answer of `bytes` sent to `peer` from its balance. */
  spend(peer: string, bytes: number): void {
    this.#balance(peer).bytes -= bytes
  }

  /** Forgets a neighbour that disconnected. */
  forget(peer: string): void {
    this.#balances.delete(peer)
  }

  /** The peer's balance, refilled up to now. */
  #balance(peer: string): Balance {
    const now = this.#scheduler.now()
    let balance = this.#balances.get(peer)
    if (balance === undefined) {
      if (this.#balances.size >= MAX_PEERS) {
        const oldest = this.#balances.keys().next().value
        if (oldest !== undefined) this.#balances.delete(oldest)
      }
      balance = { bytes: this.#burstBytes, at: now }
      this.#balances.set(peer, balance)
    }
    const refill = (Math.max(0, now - balance.at) * this.#bytesPerSecond) / 1000
    balance.bytes = Math.min(this.#burstBytes, balance.bytes + refill)
    balance.at = now
    return balance
  }
}
