/**
 * Every owner's registrations and tombstones held by one replica, as one list per owner threaded
 * through shared columns.
 *
 * Why columns: a simulated cluster holds every node's replica in one process, 10⁷ and more
 * held statements. An object per held statement (statement, refresh time) costs 56 bytes, its
 * refresh time boxed; a Map or array per owner costs 100 to 230 bytes more. Here a held statement
 * is an index into five columns (statement, refresh time, first receipt, next, previous: 32
 * bytes) and an owner
 * is an index into three (first, last, count). Indexes of removed statements are reused.
 *
 * Order: a list keeps insertion order and a replaced statement keeps its place, as a Map would.
 * Removing the entry being visited is safe when the visitor reads `next` first. Lists longer
 * than SMALL also get a key index, so lookups stay O(1) for owners with many instances.
 */
import { capacityFor, grown, grownList } from './columns.ts'
import type { InstanceStatement } from './statement.ts'

/** The end of a list. */
export const END = -1

const SMALL = 16

export class EntryLists {
  // Per held statement.
  #statements: (InstanceStatement | undefined)[] = []
  /** Entries handed out so far, free ones included. */
  #used = 0
  #refreshedAt = new Float64Array(0)
  #seenAt = new Float64Array(0)
  #next = new Int32Array(0)
  #prev = new Int32Array(0)
  readonly #freeEntries: number[] = []
  // Per owner slot.
  #first = new Int32Array(0)
  #last = new Int32Array(0)
  #count = new Int32Array(0)
  /** Key indexes of the owners holding more than SMALL statements. */
  readonly #byKey = new Map<number, Map<string, number>>()

  /** Readies the owner slot `owner` as an empty list, growing owner columns to `capacity` slots if shorter. */
  open(owner: number, capacity: number): void {
    if (capacity > this.#first.length) {
      this.#first = grown(this.#first, capacity)
      this.#last = grown(this.#last, capacity)
      this.#count = grown(this.#count, capacity)
    }
    this.#first[owner] = END
    this.#last[owner] = END
    this.#count[owner] = 0
    this.#byKey.delete(owner)
  }

  count(owner: number): number {
    return this.#count[owner] as number
  }

  first(owner: number): number {
    return this.#first[owner] as number
  }

  next(entry: number): number {
    return this.#next[entry] as number
  }

  statement(entry: number): InstanceStatement {
    return this.#statements[entry] as InstanceStatement
  }

  refreshedAt(entry: number): number {
    return this.#refreshedAt[entry] as number
  }

  /** When this replica first received the entry's statement (+∞: applied without a receipt time). */
  seenAt(entry: number): number {
    return this.#seenAt[entry] as number
  }

  /** The entry of the owner holding `key`, or END. */
  find(owner: number, key: string): number {
    const index = this.#byKey.get(owner)
    if (index !== undefined) return index.get(key) ?? END
    for (let e = this.#first[owner] as number; e !== END; e = this.#next[e] as number)
      if (sameKey((this.#statements[e] as InstanceStatement).key, key)) return e
    return END
  }

  /** Appends a statement whose key the owner does not hold; returns its entry. */
  append(
    owner: number,
    statement: InstanceStatement,
    refreshedAt: number,
    seenAt = Number.POSITIVE_INFINITY,
  ): number {
    const entry = this.#allocate()
    this.#statements[entry] = statement
    this.#refreshedAt[entry] = refreshedAt
    this.#seenAt[entry] = seenAt
    const last = this.#last[owner] as number
    this.#prev[entry] = last
    this.#next[entry] = END
    if (last === END) this.#first[owner] = entry
    else this.#next[last] = entry
    this.#last[owner] = entry
    const count = (this.#count[owner] as number) + 1
    this.#count[owner] = count
    const index = this.#byKey.get(owner)
    if (index !== undefined) index.set(statement.key, entry)
    else if (count > SMALL) this.#index(owner)
    return entry
  }

  /** Puts a statement of the same key in the entry's place. */
  replace(
    entry: number,
    statement: InstanceStatement,
    refreshedAt: number,
    seenAt = Number.POSITIVE_INFINITY,
  ): void {
    this.#statements[entry] = statement
    this.#refreshedAt[entry] = refreshedAt
    this.#seenAt[entry] = seenAt
  }

  /** Moves the entry's refresh time (same statement). */
  refresh(entry: number, refreshedAt: number): void {
    this.#refreshedAt[entry] = refreshedAt
  }

  remove(owner: number, entry: number): void {
    const prev = this.#prev[entry] as number
    const next = this.#next[entry] as number
    if (prev === END) this.#first[owner] = next
    else this.#next[prev] = next
    if (next === END) this.#last[owner] = prev
    else this.#prev[next] = prev
    this.#count[owner] = (this.#count[owner] as number) - 1
    this.#byKey.get(owner)?.delete((this.#statements[entry] as InstanceStatement).key)
    // The visitor that removes this entry may still read its `next`: leave it.
    this.#statements[entry] = undefined
    this.#freeEntries.push(entry)
  }

  #allocate(): number {
    const reused = this.#freeEntries.pop()
    if (reused !== undefined) return reused
    const entry = this.#used++
    if (entry >= this.#next.length) {
      const capacity = capacityFor(entry + 1, this.#next.length)
      this.#statements = grownList(this.#statements, capacity, undefined)
      this.#refreshedAt = grown(this.#refreshedAt, capacity)
      this.#seenAt = grown(this.#seenAt, capacity)
      this.#next = grown(this.#next, capacity)
      this.#prev = grown(this.#prev, capacity)
    }
    return entry
  }

  #index(owner: number): void {
    const index = new Map<string, number>()
    for (let e = this.#first[owner] as number; e !== END; e = this.#next[e] as number)
      index.set((this.#statements[e] as InstanceStatement).key, e)
    this.#byKey.set(owner, index)
  }
}

/**
 * Key equality, failing fast: keys of one owner share their long owner prefix and differ at the
 * end (service and instance ID), where a plain comparison of two distinct strings looks last.
 */
function sameKey(a: string, b: string): boolean {
  return a.charCodeAt(a.length - 1) === b.charCodeAt(b.length - 1) && a === b
}
