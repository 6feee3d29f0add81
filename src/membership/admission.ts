/**
 * Admission: who may add how much to a replica, and which owners count as live nodes.
 *
 * A member holds the cluster key and may mint as many owner keys as it likes; each signs
 * statements that verify. Signatures say who wrote a statement, not that a node stands behind
 * it. So a replica bounds what it holds and trusts only what a connected neighbour answers for.
 *
 * Quotas (checked before a statement is merged; a refusal is ERR_QUOTA, counted by reason and
 * not relayed):
 * - per neighbour: the owners held that it brought (it forwarded their first statement here,
 *   their sponsor), at most `maxOwnersPerPeer`;
 * - per owner: `maxRecordsPerOwner` registrations and tombstones, `maxBytesPerOwner` bytes;
 * - in total, the memory budget: `maxOwners` owners and `maxBytes` bytes of signed statements.
 *   Past it, a statement of an owner nobody vouches for is refused; one of a vouched owner takes
 *   the room of the owners nobody vouched for, newest admitted first. This node's own owner and
 *   vouched owners are never evicted, so an honest cluster held before a flood stays whole.
 *
 * Vouching (what `vouchedLive` counts as live nodes for the heartbeat schedule and quorum):
 * - this node, and every connected neighbour: its libp2p peer ID is its owner ID, proved by the
 *   connection's handshake, so no stranger can fake it;
 * - owners a live connected neighbour sponsors, at most `maxVouchesPerPeer` times that
 *   neighbour's heartbeat stretch (its lease over the default TTL), and never more than twice the
 *   stretch the other vouched nodes alone give: a neighbour in a large cluster answers for the
 *   many owners it relays, while one member alone vouches for a few owners, not a flood. The
 *   allowances are a monotone fixpoint (each rises with the others' count), reached in at most
 *   one step per doubling.
 * Owners beyond the allowances are held (they are real records) but not counted. Vouching is
 * local and free of I/O; a later liveness protocol (probes, SWIM) can replace `vouchedLive`.
 */
import { QuotaExceededError } from './errors.ts'
import type { MembershipLimits } from './limits.ts'
import { type ServiceChange, type ServiceSet, statementBytes } from './service-set.ts'
import type { Statement } from './statement.ts'

/** Statements refused by quota, by reason, and owners evicted to make room (`stats().quota`). */
export interface QuotaStats {
  /** Owners refused because the neighbour that brought them holds its `maxOwnersPerPeer`. */
  peerOwners: number
  /** Records refused because their owner holds `maxRecordsPerOwner`. */
  ownerRecords: number
  /** Statements refused because their owner holds `maxBytesPerOwner`. */
  ownerBytes: number
  /** Statements refused because the replica holds `maxOwners` and nothing could be evicted. */
  totalOwners: number
  /** Statements refused because the replica holds `maxBytes` and nothing could be evicted. */
  totalBytes: number
  /** Owners nobody vouched for, evicted to make room for vouched ones. */
  evicted: number
}

/** Counters of a fresh replica. */
export function emptyQuotaStats(): QuotaStats {
  return {
    peerOwners: 0,
    ownerRecords: 0,
    ownerBytes: 0,
    totalOwners: 0,
    totalBytes: 0,
    evicted: 0,
  }
}

/** What admission knows of an owner it let in. */
interface Admitted {
  sponsor: string | undefined
  /** Within its sponsor's allowance when admitted: evicted only after every owner not so. */
  vouched: boolean
}

/** The verdict on one statement: no error to admit it, and any instances evictions deleted. */
export interface AdmissionVerdict {
  readonly error?: QuotaExceededError
  readonly changes: readonly ServiceChange[]
}

/** What vouchedLive needs of the node: its stretch for a count, and each owner's heartbeat lease. */
export interface VouchingContext {
  /** The heartbeat stretch (interval over the configured one) this node would use for `nodes`. */
  stretchFor(nodes: number): number
  /** The stretch an owner's newest heartbeat announces (its lease over the default TTL), at least 1. */
  stretchOf(ownerId: string): number
}

const ADMIT: AdmissionVerdict = Object.freeze({ changes: Object.freeze([]) })

/** The admission state of one replica (see the design comment above). */
export class Admission {
  readonly stats: QuotaStats = emptyQuotaStats()
  readonly #self: () => string
  readonly #set: ServiceSet
  readonly #limits: MembershipLimits
  readonly #admitted = new Map<string, Admitted>()
  /** Owners held per sponsor, and how many of them were admitted vouched. */
  readonly #sponsored = new Map<string, { owners: number; vouched: number }>()
  /** Owners admitted unvouched, oldest first (entries of forgotten owners are skipped). */
  readonly #unvouched: string[] = []
  readonly #connected = new Set<string>()
  /** The stretch of the last vouched count: sizes the allowances of owners admitted since. */
  #stretch = 1

  constructor(self: () => string, set: ServiceSet, limits: MembershipLimits) {
    this.#self = self
    this.#set = set
    this.#limits = limits
  }

  /** A neighbour connected (its peer ID authenticated by the handshake). */
  connected(peer: string): void {
    this.#connected.add(peer)
  }

  /** A neighbour disconnected: it vouches for nobody any more. */
  disconnected(peer: string): void {
    this.#connected.delete(peer)
  }

  /**
   * Whether `statement`, forwarded by `from` (undefined: this node's own or a local merge), may
   * be merged; evicts unvouched owners when a vouched one needs their room.
   */
  check(statement: Statement, from: string | undefined): AdmissionVerdict {
    const owner = statement.owner
    if (from === undefined || owner === this.#self()) return ADMIT
    const limits = this.#limits
    const set = this.#set
    const known = set.holds(owner)
    let vouched = this.#isDirect(owner) || this.#admitted.get(owner)?.vouched === true
    if (!known) {
      if (
        !this.#isDirect(owner) &&
        (this.#sponsored.get(from)?.owners ?? 0) >= limits.maxOwnersPerPeer
      )
        return this.#refuse('peerOwners', `${from} brought ${limits.maxOwnersPerPeer} owners`)
      vouched ||= this.#withinAllowance(from)
    }
    let extra = statementBytes(statement)
    if (statement.kind === 'heartbeat') {
      const held = set.ownerEntries(owner)[0]?.statement
      if (held?.kind === 'heartbeat') extra -= statementBytes(held)
    } else {
      const held = set.get(statement.key)?.statement
      if (held !== undefined) extra -= statementBytes(held)
      else if (set.recordsOf(owner) >= limits.maxRecordsPerOwner)
        return this.#refuse('ownerRecords', `${owner} holds ${limits.maxRecordsPerOwner} records`)
    }
    if (extra > 0 && set.bytesOf(owner) + extra > limits.maxBytesPerOwner)
      return this.#refuse('ownerBytes', `${owner} holds ${set.bytesOf(owner)} bytes`)
    const changes: ServiceChange[] = []
    if (!known && set.ownerCount >= limits.maxOwners) {
      if (!vouched || !this.#evictOne(changes))
        return this.#refuse('totalOwners', `${limits.maxOwners} owners held`, changes)
    }
    while (extra > 0 && set.bytes + extra > limits.maxBytes) {
      if (!vouched || !this.#evictOne(changes))
        return this.#refuse('totalBytes', `${limits.maxBytes} bytes held`, changes)
    }
    return changes.length === 0 ? ADMIT : { changes }
  }

  /**
   * Notes who brought an owner once its first statement is held; a known owner whose sponsor
   * left is taken over by the neighbour that forwards it now.
   */
  merged(statement: Statement, from: string | undefined): void {
    const owner = statement.owner
    // A neighbour's own statements are vouched by its connection: it brought nobody.
    if (from === undefined || owner === from || owner === this.#self() || !this.#set.holds(owner))
      return
    const held = this.#admitted.get(owner)
    if (held !== undefined) {
      const sponsor = held.sponsor
      if (sponsor === from || sponsor === undefined || this.#connected.has(sponsor)) return
      if (!this.#connected.has(from)) return
      this.#unsponsor(held)
      this.#admitted.delete(owner)
    }
    const vouched = this.#isDirect(owner) || this.#withinAllowance(from)
    this.#admitted.set(owner, { sponsor: from, vouched })
    const counts = this.#sponsored.get(from) ?? { owners: 0, vouched: 0 }
    counts.owners++
    if (vouched) counts.vouched++
    this.#sponsored.set(from, counts)
    if (!vouched) this.#unvouched.push(owner)
  }

  /** The set forgot an owner (expired or evicted): its admission ends. */
  forget(ownerId: string): void {
    const held = this.#admitted.get(ownerId)
    if (held === undefined) return
    this.#admitted.delete(ownerId)
    this.#unsponsor(held)
    // Forgotten owners stay in the stack until popped: compact it before they outnumber the rest.
    if (this.#unvouched.length > 2 * this.#admitted.size + 64) {
      const kept = this.#unvouched.filter((id) => this.#admitted.get(id)?.vouched === false)
      this.#unvouched.length = 0
      this.#unvouched.push(...kept)
    }
  }

  /**
   * The owners of `live` (alive by their heartbeats) this node counts as live nodes: itself,
   * connected neighbours and owners first heard from themselves (a neighbour that has since
   * left), and the owners live neighbours vouch for, within their allowances (see the design
   * comment). Owners keep the order of `live`.
   */
  vouchedLive(live: readonly string[], context: VouchingContext): string[] {
    const liveSet = new Set(live)
    let direct = 0
    const byPeer = new Map<string, string[]>()
    for (const id of live) {
      if (this.#isDirect(id) || !this.#admitted.has(id)) {
        direct++
        continue
      }
      const sponsor = this.#admitted.get(id)?.sponsor
      if (sponsor === undefined || !this.#connected.has(sponsor) || !liveSet.has(sponsor)) continue
      const ids = byPeer.get(sponsor)
      if (ids === undefined) byPeer.set(sponsor, [id])
      else ids.push(id)
    }
    const peers = [...byPeer.keys()]
    const claimed = peers.map((p) => context.stretchOf(p))
    const allowance = peers.map(() => this.#limits.maxVouchesPerPeer)
    const counted = (i: number): number =>
      Math.min((byPeer.get(peers[i] as string) as string[]).length, allowance[i] as number)
    for (let changed = true; changed; ) {
      changed = false
      let total = direct
      for (let i = 0; i < peers.length; i++) total += counted(i)
      for (let i = 0; i < peers.length; i++) {
        const others = total - counted(i)
        const stretch = Math.min(claimed[i] as number, 2 * context.stretchFor(others))
        const next = this.#limits.maxVouchesPerPeer * Math.max(1, stretch)
        if (next > (allowance[i] as number)) {
          allowance[i] = next
          changed = true
        }
      }
    }
    const out: string[] = []
    const taken = new Map<string, number>()
    peers.forEach((p, i) => {
      taken.set(p, allowance[i] as number)
    })
    for (const id of live) {
      if (this.#isDirect(id) || !this.#admitted.has(id)) {
        out.push(id)
        continue
      }
      const sponsor = this.#admitted.get(id)?.sponsor
      const left = sponsor === undefined ? 0 : (taken.get(sponsor) ?? 0)
      if (left <= 0) continue
      taken.set(sponsor as string, left - 1)
      out.push(id)
    }
    this.#stretch = context.stretchFor(out.length)
    return out
  }

  #isDirect(owner: string): boolean {
    return owner === this.#self() || this.#connected.has(owner)
  }

  /** Whether `peer` may vouch for one more owner it brings (by the last count's stretch). */
  #withinAllowance(peer: string): boolean {
    if (!this.#connected.has(peer)) return false
    const vouched = this.#sponsored.get(peer)?.vouched ?? 0
    return vouched < this.#limits.maxVouchesPerPeer * this.#stretch
  }

  #unsponsor(held: Admitted): void {
    if (held.sponsor === undefined) return
    const counts = this.#sponsored.get(held.sponsor)
    if (counts === undefined) return
    counts.owners--
    if (held.vouched) counts.vouched--
    if (counts.owners === 0) this.#sponsored.delete(held.sponsor)
  }

  /** Evicts the newest owner admitted unvouched that is still held; false when there is none. */
  #evictOne(changes: ServiceChange[]): boolean {
    while (this.#unvouched.length > 0) {
      const id = this.#unvouched.pop() as string
      const held = this.#admitted.get(id)
      if (held === undefined || held.vouched || this.#isDirect(id)) continue
      changes.push(...this.#set.evict(id))
      this.stats.evicted++
      return true
    }
    return false
  }

  #refuse(
    reason: Exclude<keyof QuotaStats, 'evicted'>,
    message: string,
    changes: readonly ServiceChange[] = [],
  ): AdmissionVerdict {
    this.stats[reason]++
    return { error: new QuotaExceededError(message), changes }
  }
}
