/**
 * The owners one replica holds, as a struct of arrays: an owner is a slot, and each field of its
 * state is a column indexed by the slot.
 *
 * Why: a simulated cluster holds every node's replica in one process, 10⁶ to 10⁸ (replica, owner)
 * pairs. As objects, an owner's state and its heartbeat entries took about 300 bytes per pair
 * (headers, boxed numbers); as columns it is the few words of its fields. Slots of forgotten
 * owners are reused, and `slots()` visits owners in the order they were added, as a Map would.
 *
 * Columns are replaced when they grow: read them through the table at each use, never keep one.
 */
import { grown } from './columns.ts'
import type { HeartbeatStatement } from './statement.ts'

export class OwnerTable {
  readonly #slotOf = new Map<string, number>()
  readonly #free: number[] = []
  ids: (string | undefined)[] = []
  keys: (Uint8Array | undefined)[] = []
  /** The highest incarnation seen. */
  incarnation: bigint[] = []
  /** The newest heartbeat and its refresh time (receiver clock; NaN with no heartbeat). */
  heartbeat: (HeartbeatStatement | undefined)[] = []
  heartbeatAt = new Float64Array(16)
  /** The newest heartbeat seen to vouch for this replica's view of the owner, and its refresh time. */
  vouched: (HeartbeatStatement | undefined)[] = []
  vouchedAt = new Float64Array(16)
  liveCount = new Int32Array(16)
  /** A lower bound of the owner's next expiry time; NaN when unknown. */
  deadline = new Float64Array(16)
  /** The last `delta` call whose remote digest listed the owner. */
  listedIn = new Float64Array(16)

  get size(): number {
    return this.#slotOf.size
  }

  slotOf(id: string): number | undefined {
    return this.#slotOf.get(id)
  }

  /** Slots in the order their owners were added. */
  slots(): IterableIterator<number> {
    return this.#slotOf.values()
  }

  ownerIds(): IterableIterator<string> {
    return this.#slotOf.keys()
  }

  /** Adds an owner with nothing held yet (deadline +∞); returns its slot. */
  add(id: string, key: Uint8Array, incarnation: bigint): number {
    let slot = this.#free.pop()
    if (slot === undefined) {
      slot = this.ids.length
      this.ids.push(undefined)
      this.keys.push(undefined)
      this.incarnation.push(0n)
      this.heartbeat.push(undefined)
      this.vouched.push(undefined)
      const length = slot + 1
      this.heartbeatAt = grown(this.heartbeatAt, length)
      this.vouchedAt = grown(this.vouchedAt, length)
      this.liveCount = grown(this.liveCount, length)
      this.deadline = grown(this.deadline, length)
      this.listedIn = grown(this.listedIn, length)
    }
    this.ids[slot] = id
    this.keys[slot] = key
    this.incarnation[slot] = incarnation
    this.heartbeat[slot] = undefined
    this.heartbeatAt[slot] = Number.NaN
    this.vouched[slot] = undefined
    this.vouchedAt[slot] = Number.NaN
    this.liveCount[slot] = 0
    this.deadline[slot] = Number.POSITIVE_INFINITY
    this.listedIn[slot] = 0
    this.#slotOf.set(id, slot)
    return slot
  }

  /** Forgets the owner in `slot`; the slot is reused by a later `add`. */
  remove(slot: number): void {
    this.#slotOf.delete(this.ids[slot] as string)
    this.ids[slot] = undefined
    this.keys[slot] = undefined
    this.heartbeat[slot] = undefined
    this.vouched[slot] = undefined
    this.#free.push(slot)
  }
}
