/**
 * Interning of immutable values that repeat across instances. Every instance of a service
 * usually carries the same endpoint list and much the same metadata; decoding each copy anew
 * costs about a kilobyte per record. Values are keyed by their JSON form, deep-frozen and
 * shared. The table is bounded: once full, values are still frozen but no longer shared, so a
 * peer sending endless distinct values cannot grow it.
 */
export class Interner<T> {
  readonly #table = new Map<string, T>()
  readonly #limit: number

  constructor(limit: number) {
    this.#limit = limit
  }

  /** The shared frozen copy of `value` (or `value` frozen, when the table is full). */
  intern(value: T): T {
    const key = JSON.stringify(value)
    const shared = this.#table.get(key)
    if (shared !== undefined) return shared
    const frozen = deepFreeze(value)
    if (this.#table.size < this.#limit) this.#table.set(key, frozen)
    return frozen
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
