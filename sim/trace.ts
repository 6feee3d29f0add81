/**
 * The event trace as a running hash. Every dispatched event (timer, delivery, fault) mixes its
 * virtual time and a few integers into two 32-bit lanes, so two runs are the same run, event
 * for event, exactly when their hashes (and event counts) match. Cheap enough to stay on always.
 */
export class TraceHash {
  #a = 0x811c9dc5
  #b = 0x9e3779b9
  #count = 0

  /** Mixes one event: its virtual time and its identifying integers. */
  mix(time: number, ...values: number[]): void {
    this.#count++
    this.#word(Math.floor(time))
    this.#word(Math.round((time % 1) * 1e6))
    for (const v of values) this.#word(v)
  }

  get count(): number {
    return this.#count
  }

  /** The hash so far, as 16 hex digits. */
  digest(): string {
    const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0')
    return `${hex(this.#a)}${hex(this.#b)}`
  }

  #word(value: number): void {
    const v = value | 0
    this.#a = Math.imul(this.#a ^ v, 0x01000193)
    this.#b = Math.imul(this.#b ^ (v + (this.#a >>> 7)), 0x85ebca6b) ^ (this.#b >>> 13)
  }
}
