/**
 * A node's clock as seen through an offset and a rate error, on top of a shared scheduler: the
 * way tests and the simulator give each node of one VirtualScheduler its own skewed clock.
 *
 * local(t) = origin + offsetMs + (t - origin)(1 + driftRatio), where origin is the shared time
 * at construction. A timer of d local ms fires after d / (1 + driftRatio) shared ms, so a clock
 * that runs fast (driftRatio > 0) also fires its timers early in shared time.
 */
import { InvalidArgumentError, type Scheduler } from '../contract.ts'

/**
 * A clock that drifts from the one it wraps: an offset and a rate error (tests and the simulator).
 */
export interface ClockSkew {
  /** Constant offset from the shared clock. @default 0 */
  offsetMs?: number
  /** Rate error: +0.01 runs 1 % fast, -0.01 1 % slow. Must be in (-1, 1). @default 0 */
  driftRatio?: number
}

export class SkewedScheduler implements Scheduler {
  readonly base: Scheduler
  readonly offsetMs: number
  readonly driftRatio: number
  readonly #origin: number

  constructor(base: Scheduler, skew: ClockSkew = {}) {
    const drift = skew.driftRatio ?? 0
    if (!(drift > -1 && drift < 1)) throw new InvalidArgumentError('driftRatio must be in (-1, 1)')
    this.base = base
    this.offsetMs = skew.offsetMs ?? 0
    this.driftRatio = drift
    this.#origin = base.now()
  }

  now(): number {
    return this.#origin + this.offsetMs + (this.base.now() - this.#origin) * (1 + this.driftRatio)
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    return this.base.setTimer(Math.max(0, delayMs) / (1 + this.driftRatio), fn)
  }
}
