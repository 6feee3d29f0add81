/**
 * The global virtual clock: a discrete-event queue. Events due at one instant share a bucket and
 * run in the order they were scheduled (FIFO), and buckets run in time order (a binary heap of
 * distinct times), so a run is a pure function of its inputs. Bucketing keeps the heap small when
 * thousands of deliveries land on the same millisecond.
 */
export interface SimEvent {
  readonly fn: () => void
  cancelled: boolean
}

export class EventQueue {
  #now: number
  readonly #times: number[] = []
  readonly #buckets = new Map<number, SimEvent[]>()
  #dispatched = 0

  constructor(start: number) {
    this.#now = start
  }

  /** Current virtual time (ms). */
  get now(): number {
    return this.#now
  }

  /** Events run so far. */
  get dispatched(): number {
    return this.#dispatched
  }

  /** Schedules `fn` at virtual time `at` (clamped to now). */
  schedule(at: number, fn: () => void): SimEvent {
    const time = Math.max(at, this.#now)
    const event: SimEvent = { fn, cancelled: false }
    const bucket = this.#buckets.get(time)
    if (bucket === undefined) {
      this.#buckets.set(time, [event])
      this.#pushTime(time)
    } else {
      bucket.push(event)
    }
    return event
  }

  /** Time of the next bucket, if any. */
  nextTime(): number | undefined {
    return this.#times[0]
  }

  /**
   * Advances to the next bucket and runs it, including events scheduled into it while it runs.
   * Returns false when the queue is empty.
   */
  runNext(): boolean {
    const time = this.#times[0]
    if (time === undefined) return false
    this.#now = time
    const bucket = this.#buckets.get(time) as SimEvent[]
    for (let i = 0; i < bucket.length; i++) {
      const event = bucket[i] as SimEvent
      if (event.cancelled) continue
      this.#dispatched++
      event.fn()
    }
    this.#buckets.delete(time)
    this.#popTime()
    return true
  }

  #pushTime(time: number): void {
    const heap = this.#times
    let i = heap.length
    heap.push(time)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent] as number
      if (p <= time) break
      heap[i] = p
      i = parent
    }
    heap[i] = time
  }

  #popTime(): void {
    const heap = this.#times
    const last = heap.pop() as number
    if (heap.length === 0) return
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= heap.length) break
      const right = left + 1
      const child =
        right < heap.length && (heap[right] as number) < (heap[left] as number) ? right : left
      if ((heap[child] as number) >= last) break
      heap[i] = heap[child] as number
      i = child
    }
    heap[i] = last
  }
}
