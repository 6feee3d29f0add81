/**
 * Owner IDs as small dense indexes, which the owner tables of replicas (owner-table.ts) use as
 * their slots.
 *
 * A replica has a directory of its own by default. A driver that runs many replicas in one
 * process (the simulator: every node a replica) gives them one shared directory, so each owner's
 * ID and key are held once per process rather than once per replica, and finding an owner's slot
 * is one lookup in one table that stays in cache. An index is reused once no replica holds its
 * owner any more.
 */
import { capacityFor, grown } from './columns.ts'

/** Owner IDs mapped to small dense indexes, shareable by the replicas of one process. */
export class OwnerDirectory {
  readonly #indexOf = new Map<string, number>()
  readonly #free: number[] = []
  #holders = new Int32Array(16)
  readonly ids: (string | undefined)[] = []
  readonly keys: (Uint8Array | undefined)[] = []

  /** One more than the highest index handed out. */
  get length(): number {
    return this.ids.length
  }

  /** The index of an owner, or undefined when no replica holds it. */
  indexOf(id: string): number | undefined {
    return this.#indexOf.get(id)
  }

  /** The owner's index (a new one for an owner no replica holds); counts one more holder. */
  acquire(id: string, key: Uint8Array): number {
    let index = this.#indexOf.get(id)
    if (index === undefined) {
      index = this.#free.pop()
      if (index === undefined) {
        index = this.ids.length
        this.ids.push(id)
        this.keys.push(key)
        if (index >= this.#holders.length)
          this.#holders = grown(this.#holders, capacityFor(index + 1, this.#holders.length))
      } else {
        this.ids[index] = id
        this.keys[index] = key
      }
      this.#indexOf.set(id, index)
    }
    this.#holders[index] = (this.#holders[index] as number) + 1
    return index
  }

  /** Counts one holder fewer; an owner no replica holds gives its index up for reuse. */
  release(index: number): void {
    const holders = (this.#holders[index] as number) - 1
    this.#holders[index] = holders
    if (holders > 0) return
    this.#indexOf.delete(this.ids[index] as string)
    this.ids[index] = undefined
    this.keys[index] = undefined
    this.#free.push(index)
  }
}
