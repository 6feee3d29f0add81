/**
 * Time as a dependency. The protocol driver reads the clock and sets timers only through a
 * Scheduler, so tests and the simulator run it on virtual time and nothing ever sleeps.
 */
export interface Scheduler {
  /** Milliseconds on this node's clock. */
  now(): number
  /** Calls `fn` once after `delayMs`; the returned function cancels it. */
  setTimer(delayMs: number, fn: () => void): () => void
}

/**
 * Node timers, and a clock that reads as wall time (ms since the epoch at process start) but
 * runs monotonically: expiry must not jump when the system clock is stepped (an NTP step, an
 * operator), or every record would expire at once on a step forward and a crashed owner's
 * records would outlive their TTL by a step back.
 */
export const systemScheduler: Scheduler = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer: (delayMs, fn) => {
    // setTimeout waits at least 1 ms: a timer for "the next turn" (the push of what this turn
    // signed) runs once the I/O already waiting is handled instead.
    if (delayMs <= 0) {
      const immediate = setImmediate(fn)
      return () => clearImmediate(immediate)
    }
    const timer = setTimeout(fn, delayMs)
    return () => clearTimeout(timer)
  },
}

interface PendingTimer {
  readonly at: number
  readonly seq: number
  readonly fn: () => void
  cancelled: boolean
}

/**
 * Virtual time: timers fire only when the owner advances the clock. Timers due at the same
 * instant fire in the order they were set, so a run is a pure function of its inputs.
 */
export class VirtualScheduler implements Scheduler {
  #now: number
  #seq = 0
  readonly #heap: PendingTimer[] = []

  constructor(start = 0) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    const timer: PendingTimer = {
      at: this.#now + Math.max(0, delayMs),
      seq: this.#seq++,
      fn,
      cancelled: false,
    }
    this.#push(timer)
    return () => {
      timer.cancelled = true
    }
  }

  /** Number of timers not yet fired or cancelled. */
  get pending(): number {
    return this.#heap.filter((t) => !t.cancelled).length
  }

  /** Time of the next live timer, if any. */
  nextAt(): number | undefined {
    while (this.#heap.length > 0 && (this.#heap[0] as PendingTimer).cancelled) this.#pop()
    return this.#heap[0]?.at
  }

  /** Fires the next timer (advancing the clock to it). Returns false when none is left. */
  step(): boolean {
    const at = this.nextAt()
    if (at === undefined) return false
    const timer = this.#pop() as PendingTimer
    this.#now = Math.max(this.#now, at)
    timer.fn()
    return true
  }

  /** Advances the clock by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): void {
    this.runUntil(this.#now + ms)
  }

  /** Fires every timer due up to `time`, then sets the clock to `time`. */
  runUntil(time: number): void {
    for (let at = this.nextAt(); at !== undefined && at <= time; at = this.nextAt()) this.step()
    this.#now = Math.max(this.#now, time)
  }

  #push(timer: PendingTimer): void {
    const heap = this.#heap
    heap.push(timer)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!earlier(timer, heap[parent] as PendingTimer)) break
      heap[i] = heap[parent] as PendingTimer
      i = parent
    }
    heap[i] = timer
  }

  #pop(): PendingTimer | undefined {
    const heap = this.#heap
    const top = heap[0]
    const last = heap.pop()
    if (heap.length === 0 || last === undefined) return top
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      const candidate = (j: number) => (j === i ? last : (heap[j] as PendingTimer))
      if (left < heap.length && earlier(heap[left] as PendingTimer, candidate(smallest)))
        smallest = left
      if (right < heap.length && earlier(heap[right] as PendingTimer, candidate(smallest)))
        smallest = right
      if (smallest === i) break
      heap[i] = heap[smallest] as PendingTimer
      i = smallest
    }
    heap[i] = last
    return top
  }
}

function earlier(a: PendingTimer, b: PendingTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}
