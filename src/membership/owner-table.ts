/**
 * The owners one replica holds, as a struct of arrays: an owner is a slot (its index in the
 * owner directory, owner-directory.ts), and each field of its state is a column indexed by the
 * slot.
 *
 * Why: a simulated cluster holds every node's replica in one process, 10⁶ to 10⁸ (replica, owner)
 * pairs. As objects, an owner's state and its heartbeat entries took about 300 bytes per pair
 * (headers, boxed numbers, a Map entry); as columns it is the few words of its fields.
 *
 * Order: held slots form a list in the order their owners were added, as keys of a Map would
 * (an owner forgotten and added again goes last). Visitors may remove the slot being visited
 * when they read `next` first.
 *
 * Columns are replaced when they grow: read them through the table at each use, never keep one.
 */
import { capacityFor, grown, grownList } from './columns.ts'
import { OwnerDirectory } from './owner-directory.ts'
import type { HeartbeatStatement } from './statement.ts'

/** The end of the list of held slots. */
export const NO_OWNER = -1
/** `next` of a slot this table does not hold. */
const NOT_HELD = -2

export class OwnerTable {
  readonly directory: OwnerDirectory
  #size = 0
  #capacity = 0
  #head = NO_OWNER
  #tail = NO_OWNER
  #next = new Int32Array(0)
  #prev = new Int32Array(0)
  /** The highest incarnation seen. */
  incarnation: bigint[] = []
  /** The newest heartbeat and its refresh time (receiver clock; NaN with no heartbeat). */
  heartbeat: (HeartbeatStatement | undefined)[] = []
  heartbeatAt = new Float64Array(0)
  /**
   * When this replica first received the newest heartbeat (receiver clock; +∞ when it was
   * applied without one): no relayed copy refreshes it past that (see ServiceSet.apply).
   */
  heartbeatSeenAt = new Float64Array(0)
  /** The newest heartbeat seen to vouch for this replica's view of the owner, and its refresh time. */
  vouched: (HeartbeatStatement | undefined)[] = []
  vouchedAt = new Float64Array(0)
  liveCount = new Int32Array(0)
  /** Bytes of the signed statements held (heartbeat, registrations, tombstones): see statementBytes. */
  bytes = new Float64Array(0)
  /** A lower bound of the owner's next expiry time; NaN when unknown. */
  deadline = new Float64Array(0)
  /** The last `delta` call whose remote digest listed the owner (the call count wraps at 2³²). */
  listedIn = new Int32Array(0)

  constructor(directory: OwnerDirectory = new OwnerDirectory()) {
    this.directory = directory
  }

  get size(): number {
    return this.#size
  }

  /** Slots 0 to capacity − 1 fit every column. */
  get capacity(): number {
    return this.#capacity
  }

  slotOf(id: string): number | undefined {
    const slot = this.directory.indexOf(id)
    return slot !== undefined && slot < this.#capacity && this.#next[slot] !== NOT_HELD
      ? slot
      : undefined
  }

  idOf(slot: number): string {
    return this.directory.ids[slot] as string
  }

  keyOf(slot: number): Uint8Array {
    return this.directory.keys[slot] as Uint8Array
  }

  /** The first held slot in order, or NO_OWNER. */
  first(): number {
    return this.#head
  }

  /** The held slot after `slot`, or NO_OWNER. */
  next(slot: number): number {
    return this.#next[slot] as number
  }

  /** Held slots in order. */
  *slots(): IterableIterator<number> {
    for (let slot = this.#head; slot !== NO_OWNER; ) {
      const next = this.#next[slot] as number
      yield slot
      slot = next
    }
  }

  /** Adds an owner with nothing held yet (deadline +∞); returns its slot. */
  add(id: string, key: Uint8Array, incarnation: bigint): number {
    const slot = this.directory.acquire(id, key)
    if (slot >= this.#capacity) this.#grow(slot + 1)
    this.incarnation[slot] = incarnation
    this.heartbeat[slot] = undefined
    this.heartbeatAt[slot] = Number.NaN
    this.heartbeatSeenAt[slot] = Number.NaN
    this.vouched[slot] = undefined
    this.vouchedAt[slot] = Number.NaN
    this.liveCount[slot] = 0
    this.bytes[slot] = 0
    this.deadline[slot] = Number.POSITIVE_INFINITY
    this.listedIn[slot] = 0
    this.#prev[slot] = this.#tail
    this.#next[slot] = NO_OWNER
    if (this.#tail === NO_OWNER) this.#head = slot
    else this.#next[this.#tail] = slot
    this.#tail = slot
    this.#size++
    return slot
  }

  /** Forgets the owner in `slot`. */
  remove(slot: number): void {
    const prev = this.#prev[slot] as number
    const next = this.#next[slot] as number
    if (prev === NO_OWNER) this.#head = next
    else this.#next[prev] = next
    if (next === NO_OWNER) this.#tail = prev
    else this.#prev[next] = prev
    this.#next[slot] = NOT_HELD
    this.heartbeat[slot] = undefined
    this.vouched[slot] = undefined
    this.#size--
    this.directory.release(slot)
  }

  #grow(needed: number): void {
    const capacity = capacityFor(Math.max(needed, this.directory.length), this.#capacity)
    this.#next = grown(this.#next, capacity)
    this.#next.fill(NOT_HELD, this.#capacity)
    this.#prev = grown(this.#prev, capacity)
    this.heartbeatAt = grown(this.heartbeatAt, capacity)
    this.heartbeatSeenAt = grown(this.heartbeatSeenAt, capacity)
    this.vouchedAt = grown(this.vouchedAt, capacity)
    this.liveCount = grown(this.liveCount, capacity)
    this.bytes = grown(this.bytes, capacity)
    this.deadline = grown(this.deadline, capacity)
    this.listedIn = grown(this.listedIn, capacity)
    this.incarnation = grownList(this.incarnation, capacity, 0n)
    this.heartbeat = grownList(this.heartbeat, capacity, undefined)
    this.vouched = grownList(this.vouched, capacity, undefined)
    this.#capacity = capacity
  }
}
