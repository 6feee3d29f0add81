/**
 * biregister's Watcher: a cache of every name under a prefix, its leader, and a change stream.
 * Keys and values live in the etcd-style keyspace (shared/keyspace.ts): key = prefix + name,
 * value = the instance's address. The leader is the registration the election's rule ranks first
 * (biregister picks the lowest etcd create-revision, which stays lowest until deleted; here a
 * claimed leader stays leader while live, and the oldest registration leads while none is
 * claimed). A claim (the election re-signing its leader) is no change (shared/claims.ts).
 *
 * If two nodes claim the same name at once (possible across a partition, impossible in etcd),
 * the cache shows the older claim, the same one election would pick.
 */

import type { DiscoveryNode, Instance, ServiceChange } from '../../contract.ts'
import { compareByAge } from '../../election/rules.ts'
import { Channel } from '../shared/channel.ts'
import { onlyClaimChanged } from '../shared/claims.ts'
import { subscribeMatching } from '../shared/feed.ts'
import { instancesUnder, keyOf, keyValueOf, underPrefix } from '../shared/keyspace.ts'
import { leaderOn } from '../shared/leader.ts'
import { requireNode, requirePositiveInteger, requireString } from '../shared/validate.ts'
import { type Change, ChangeOp, type Leader } from './types.ts'

/** Changes buffered for a reader of changes() before new ones are dropped (biregister's channel size). */
export const DEFAULT_CHAN_SIZE = 10_000

/** The names and values registered under a prefix, kept current (biregister `Watcher`). */
export interface Watcher {
  /** name -> value for every name under the prefix. */
  getAll(): Record<string, string>
  /** Every registered name under the prefix. */
  getNames(): string[]
  /** Every registered value under the prefix. */
  getValues(): string[]
  /** The value of `name`, or undefined when it is not registered (Go returns ""). */
  getValueByName(name: string): string | undefined
  /** The leader under the prefix, or undefined when there is none (Go: "", ""). */
  getLeader(): Leader | undefined
  /** Ends the watch: changes() ends and closed() resolves. Idempotent. */
  close(): void
  /**
   * The one change stream of this watcher (every call returns the same stream): a PUT per
   * existing name first, oldest first, then every change. Holds up to DEFAULT_CHAN_SIZE unread
   * changes; later ones are dropped, as biregister drops on a full channel.
   */
  changes(): AsyncIterableIterator<Change>
  /** Resolves when the watcher is closed. */
  closed(): Promise<void>
  /** The discovery node behind this watcher (biregister's `EtcdClient()`). */
  node(): DiscoveryNode
}

export class MeshWatcher implements Watcher {
  readonly prefix: string
  /** Go's ttl in seconds (the register's lease; the watcher only keeps it). */
  readonly ttl: number
  protected readonly discovery: DiscoveryNode
  readonly #changes = new Channel<Change>({ capacity: DEFAULT_CHAN_SIZE })
  readonly #closed: Promise<void>
  #resolveClosed: () => void = () => undefined
  readonly #unsubscribe: () => void
  #cache = new Map<string, Instance>()

  constructor(node: DiscoveryNode, prefix: string, ttl: number) {
    this.discovery = requireNode(node)
    this.prefix = requireString('prefix', prefix)
    this.ttl = requirePositiveInteger('ttl (seconds)', ttl)
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve
    })
    this.#cache = this.#read()
    for (const instance of [...this.#cache.values()].sort(compareByAge)) {
      this.#changes.push({ name: this.#nameOf(instance), op: ChangeOp.Put })
    }
    this.#unsubscribe = subscribeMatching(node, underPrefix(prefix), (changes) =>
      this.#apply(changes),
    )
  }

  getAll(): Record<string, string> {
    return Object.fromEntries([...this.#cache].map(([name, i]) => [name, keyValueOf(i)]))
  }

  getNames(): string[] {
    return [...this.#cache.keys()]
  }

  getValues(): string[] {
    return [...this.#cache.values()].map(keyValueOf)
  }

  getValueByName(name: string): string | undefined {
    const instance = this.#cache.get(requireString('name', name))
    return instance === undefined ? undefined : keyValueOf(instance)
  }

  getLeader(): Leader | undefined {
    const leader = this.leaderInstance()
    return leader === undefined
      ? undefined
      : { name: this.#nameOf(leader), value: keyValueOf(leader) }
  }

  close(): void {
    if (this.#changes.closed) return
    this.#unsubscribe()
    this.#changes.close()
    this.#resolveClosed()
  }

  changes(): AsyncIterableIterator<Change> {
    return this.#changes
  }

  closed(): Promise<void> {
    return this.#closed
  }

  node(): DiscoveryNode {
    return this.discovery
  }

  protected leaderInstance(): Instance | undefined {
    return leaderOn(this.discovery, this.#cache.values())
  }

  protected has(name: string): boolean {
    return this.#cache.has(name)
  }

  #nameOf(instance: Instance): string {
    return keyOf(instance).slice(this.prefix.length)
  }

  /** name -> the oldest instance holding it. */
  #read(): Map<string, Instance> {
    const cache = new Map<string, Instance>()
    for (const instance of instancesUnder(this.discovery, this.prefix)) {
      const name = this.#nameOf(instance)
      const held = cache.get(name)
      if (held === undefined || compareByAge(instance, held) < 0) cache.set(name, instance)
    }
    return cache
  }

  #apply(changes: readonly ServiceChange[]): void {
    this.#cache = this.#read()
    for (const change of changes) {
      if (change.type === 'updated' && onlyClaimChanged(change.previous, change.instance)) continue
      const name = this.#nameOf(change.instance)
      const gone = change.type === 'deleted' || change.type === 'expired'
      if (gone && this.#cache.has(name)) continue // another claim on the name remains
      this.#changes.push({ name, op: gone ? ChangeOp.Delete : ChangeOp.Put })
    }
  }
}

/** A Watcher over every name under `prefix` (biregister `NewWatcher`, with the node explicit). */
export function newWatcher(node: DiscoveryNode, prefix: string, ttl: number): Watcher {
  return new MeshWatcher(node, prefix, ttl)
}
