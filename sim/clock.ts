/**
 * A node's clock: a `Scheduler` view of the shared virtual clock with its own offset and drift.
 * local = epoch + offset + (global − epoch)·(1 + drift). A timer of d local ms fires after
 * d / (1 + drift) global ms. Crashing a node halts its clock: timers set before the halt never
 * fire (a generation counter), so a crashed Mesh goes quiet without any cooperation.
 */
import type { Scheduler } from '../src/mesh/scheduler.ts'
import type { EventQueue } from './queue.ts'
import type { TraceHash } from './trace.ts'

export interface ClockSkew {
  /** Constant offset from true time, ms. */
  offsetMs: number
  /** Rate error, parts per million (positive runs fast). */
  driftPpm: number
}

export class NodeClock implements Scheduler {
  readonly #queue: EventQueue
  readonly #trace: TraceHash
  readonly #slot: number
  readonly #epoch: number
  #offsetMs: number
  #rate: number
  #generation = 0

  constructor(queue: EventQueue, trace: TraceHash, slot: number, epoch: number, skew: ClockSkew) {
    this.#queue = queue
    this.#trace = trace
    this.#slot = slot
    this.#epoch = epoch
    this.#offsetMs = skew.offsetMs
    this.#rate = 1 + skew.driftPpm / 1e6
  }

  now(): number {
    return this.#epoch + this.#offsetMs + (this.#queue.now - this.#epoch) * this.#rate
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    const generation = this.#generation
    const event = this.#queue.schedule(this.#queue.now + Math.max(0, delayMs) / this.#rate, () => {
      if (generation !== this.#generation) return
      this.#trace.mix(this.#queue.now, 1, this.#slot)
      fn()
    })
    return () => {
      event.cancelled = true
    }
  }

  /** Steps the clock (as NTP stepping does): from now it reads true time + offset, at the new drift. */
  adjust(skew: ClockSkew): void {
    const global = this.#queue.now
    this.#rate = 1 + skew.driftPpm / 1e6
    this.#offsetMs = global + skew.offsetMs - this.#epoch - (global - this.#epoch) * this.#rate
  }

  /** Drops every pending timer (the process died). */
  halt(): void {
    this.#generation++
  }
}
