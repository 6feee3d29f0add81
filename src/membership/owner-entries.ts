/**
 * One owner's registrations and tombstones, by instance key, as a replica holds them.
 *
 * Why not a Map: most owners hold a handful of instances, and a replica holds one of these per
 * owner it knows. A Map holding one entry takes about 230 bytes (its hash table is sized for
 * more), and a large simulated cluster (every node a replica, all in one process) holds 10⁶ to
 * 10⁷ of them. Up to SMALL entries live in an array searched by key (keys of one owner are few,
 * and usually the same string objects), beyond that in a Map, for good.
 *
 * As with a Map, iteration follows insertion order, a replaced key keeps its place, and deleting
 * the entry being visited does not disturb the iteration (the array is replaced, not shifted).
 */
import type { Entry } from './service-set.ts'
import type { InstanceStatement } from './statement.ts'

type InstanceEntry = Entry<InstanceStatement>

const SMALL = 16

export class OwnerEntries {
  #entries: InstanceEntry[] | Map<string, InstanceEntry> = []

  get size(): number {
    const entries = this.#entries
    return Array.isArray(entries) ? entries.length : entries.size
  }

  get(key: string): InstanceEntry | undefined {
    const entries = this.#entries
    if (!Array.isArray(entries)) return entries.get(key)
    for (const entry of entries) if (sameKey(entry.statement.key, key)) return entry
    return undefined
  }

  /**
   * Stores `entry` under its statement's key in place of `current`, what `get` returned for that
   * key (undefined when nothing was there).
   */
  set(entry: InstanceEntry, current: InstanceEntry | undefined): void {
    const entries = this.#entries
    if (!Array.isArray(entries)) {
      entries.set(entry.statement.key, entry)
      return
    }
    const at = current === undefined ? -1 : entries.indexOf(current)
    if (at >= 0) entries[at] = entry
    // A first entry gets an array of its own size: most owners never hold a second.
    else if (entries.length === 0) this.#entries = [entry]
    else if (entries.length < SMALL) entries.push(entry)
    else this.#entries = new Map([...entries, entry].map((e) => [e.statement.key, e]))
  }

  delete(key: string): void {
    const entries = this.#entries
    if (Array.isArray(entries))
      this.#entries = entries.filter((e) => !sameKey(e.statement.key, key))
    else entries.delete(key)
  }

  values(): Iterable<InstanceEntry> {
    const entries = this.#entries
    return Array.isArray(entries) ? entries : entries.values()
  }
}

/**
 * Key equality, failing fast: keys of one owner share their long owner prefix and differ at the
 * end (service and instance ID), where a plain comparison of two distinct strings looks last.
 */
function sameKey(a: string, b: string): boolean {
  return a.charCodeAt(a.length - 1) === b.charCodeAt(b.length - 1) && a === b
}
