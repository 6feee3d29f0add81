/**
 * discoverd's ServiceSet: a live, filtered view of one service. Design:
 *
 * - The set keeps the members (instances of the service matching the filter) as a snapshot and
 *   recomputes it on every change the node reports for that service, or when the filter
 *   changes; watch updates are the diff between two snapshots, so a filter change takes the
 *   members it excludes offline at once.
 * - The leader is the member the election's rule ranks first (leaderOn: attested owners first,
 *   then the claimed leader, so a newcomer never displaces it; the oldest member while none is
 *   claimed): every node holding the same set and heartbeats with the same filter names the same
 *   leader, with no extra messages.
 * - A claim (the election re-signing its leader) is not a member update (shared/claims.ts).
 * - A set made by registerWithSet hides its own registration from services/addrs/select and from
 *   watch(true)'s current members, but not from leader/leaders, nor from the updates watch
 *   streams carry (discoverd's set forwards its own registration's updates to its watchers):
 *   this instance may become leader, and selfAddr() tells it so.
 */

import { compareVersions, type DiscoveryNode, type Instance } from '../../contract.ts'
import { compareByAge } from '../../election/rules.ts'
import { Channel } from '../shared/channel.ts'
import { onlyClaimChanged } from '../shared/claims.ts'
import { subscribeMatching } from '../shared/feed.ts'
import { leaderOn } from '../shared/leader.ts'
import { matchesAll, requireStringMap } from '../shared/validate.ts'
import { toService, toUpdate } from './convert.ts'
import type { Service, ServiceUpdate } from './types.ts'

/** The live members of one service, kept current, with its leader (discoverd `ServiceSet`). */
export interface ServiceSet {
  /** The address this set's own registration uses (registerWithSet), or "". */
  selfAddr(): string
  /** The leader (the claimed leader, else the oldest member), or null when the set is empty. */
  leader(): Service | null
  /**
   * The current leader at once, then every new leader; null when the set becomes empty. Each
   * call is a new stream; it ends when the set closes or the caller returns it.
   */
  leaders(): AsyncIterableIterator<Service | null>
  /** Members sorted by age, oldest first (without this set's own registration). */
  services(): Service[]
  /** The members' addresses, in services() order. */
  addrs(): string[]
  /** Members whose attributes include every entry of `attrs`. */
  select(attrs: Record<string, string>): Service[]
  /** Keeps only members matching `attrs` from now on; the others leave the set at once. */
  filter(attrs: Record<string, string>): void
  /**
   * Member updates from now on (this set's own registration's included); with `bringCurrent`, an
   * online update per current member first (without its own). Ends on unwatch() or close().
   */
  watch(bringCurrent: boolean): AsyncIterableIterator<ServiceUpdate>
  /** Ends one watch stream. */
  unwatch(stream: AsyncIterableIterator<ServiceUpdate>): void
  /** Stops updating the set and ends every stream. Idempotent. */
  close(): void
}

export class MeshServiceSet implements ServiceSet {
  readonly #node: DiscoveryNode
  readonly #name: string
  readonly #selfAddr: string
  readonly #selfKey: string | undefined
  readonly #unsubscribe: () => void
  readonly #watchers = new Set<Channel<ServiceUpdate>>()
  readonly #leaderStreams = new Set<Channel<Service | null>>()
  #filter: Record<string, string> = {}
  #members = new Map<string, Instance>()
  #leaderKey: string | undefined
  #closed = false

  /** `self` names this set's own registration, which services/addrs/select/watch leave out. */
  constructor(node: DiscoveryNode, name: string, self?: { addr: string; key: string }) {
    this.#node = node
    this.#name = name
    this.#selfAddr = self?.addr ?? ''
    this.#selfKey = self?.key
    this.#members = this.#read()
    this.#leaderKey = leaderOn(node, this.#members.values())?.key
    const unsubscribeChanges = subscribeMatching(
      node,
      (instance) => instance.service === name,
      () => this.#refresh(),
    )
    // The leader can change with attestation alone (no member changed): leaders() reports it.
    const unsubscribeAttestation = node.onAttestationChange(() => this.#refresh())
    this.#unsubscribe = () => {
      unsubscribeChanges()
      unsubscribeAttestation()
    }
  }

  selfAddr(): string {
    return this.#selfAddr
  }

  leader(): Service | null {
    const leader = leaderOn(this.#node, this.#members.values())
    return leader === undefined ? null : toService(leader)
  }

  leaders(): AsyncIterableIterator<Service | null> {
    const stream: Channel<Service | null> = new Channel({
      onClose: () => this.#leaderStreams.delete(stream),
    })
    stream.push(this.leader())
    if (this.#closed) stream.close()
    else this.#leaderStreams.add(stream)
    return stream
  }

  services(): Service[] {
    return this.#others().map(toService)
  }

  addrs(): string[] {
    return this.services().map((s) => s.addr)
  }

  select(attrs: Record<string, string>): Service[] {
    const wanted = requireStringMap('attrs', attrs)
    return this.services().filter((s) => matchesAll(s.attrs, wanted))
  }

  filter(attrs: Record<string, string>): void {
    this.#filter = requireStringMap('attrs', attrs)
    this.#refresh()
  }

  watch(bringCurrent: boolean): AsyncIterableIterator<ServiceUpdate> {
    const stream: Channel<ServiceUpdate> = new Channel({
      onClose: () => this.#watchers.delete(stream),
    })
    if (bringCurrent === true) {
      for (const service of this.services()) stream.push(toUpdate(service, true))
    }
    if (this.#closed) stream.close()
    else this.#watchers.add(stream)
    return stream
  }

  unwatch(stream: AsyncIterableIterator<ServiceUpdate>): void {
    if (stream instanceof Channel && this.#watchers.has(stream)) stream.close()
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#unsubscribe()
    for (const stream of [...this.#watchers, ...this.#leaderStreams]) stream.close()
  }

  /** Instances of the service matching the filter, by key. */
  #read(): Map<string, Instance> {
    const members = new Map<string, Instance>()
    for (const instance of this.#node.lookup(this.#name)) {
      if (matchesAll(instance.metadata, this.#filter)) members.set(instance.key, instance)
    }
    return members
  }

  /** Members other than this set's own registration, oldest first. */
  #others(): Instance[] {
    return [...this.#members.values()]
      .filter((instance) => instance.key !== this.#selfKey)
      .sort(compareByAge)
  }

  #refresh(): void {
    if (this.#closed) return
    const before = this.#members
    this.#members = this.#read()
    const updates: ServiceUpdate[] = []
    for (const [key, old] of before) {
      if (!this.#members.has(key)) updates.push(toUpdate(toService(old), false))
    }
    for (const [key, now] of this.#members) {
      const old = before.get(key)
      if (
        old === undefined ||
        (compareVersions(old.revision, now.revision) !== 0 && !onlyClaimChanged(old, now))
      ) {
        updates.push(toUpdate(toService(now), true))
      }
    }
    for (const stream of this.#watchers) for (const update of updates) stream.push(update)
    const leader = leaderOn(this.#node, this.#members.values())
    if (leader?.key !== this.#leaderKey) {
      this.#leaderKey = leader?.key
      const service = leader === undefined ? null : toService(leader)
      for (const stream of this.#leaderStreams) stream.push(service)
    }
  }
}
