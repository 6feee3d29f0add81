/**
 * A DiscoveryNode whose live set and live nodes the test sets directly: it exercises the
 * election shell alone, change by change, on a VirtualScheduler.
 */

import type { DiscoveryNode, RegistrationHandle } from '../../src/contract.ts'
import type { ServiceChange } from '../../src/membership/service-set.ts'
import type { Instance } from '../../src/membership/types.ts'
import { VirtualScheduler } from '../../src/mesh/scheduler.ts'

export class FakeNode implements DiscoveryNode {
  readonly peerId: string
  readonly scheduler = new VirtualScheduler(10_000)
  live: string[]
  /** What heartbeatCapacity() reports. */
  capacity = 50
  readonly #instances = new Map<string, Instance>()
  readonly #listeners = new Set<(changes: readonly ServiceChange[]) => void>()

  constructor(peerId = 'me', live: string[] = ['me', 'x', 'y']) {
    this.peerId = peerId
    this.live = live
  }

  /** Adds or replaces an instance, as a created/updated change. */
  put(instance: Instance): void {
    const previous = this.#instances.get(instance.key)
    this.#instances.set(instance.key, instance)
    this.#emit([
      previous === undefined
        ? { type: 'created', instance }
        : { type: 'updated', instance, previous },
    ])
  }

  /** Removes an instance, as a deletion (tombstone) or an expiry. */
  remove(instance: Instance, type: 'deleted' | 'expired'): void {
    this.#instances.delete(instance.key)
    this.#emit([{ type, instance }])
  }

  lookup(service: string): Instance[] {
    return [...this.#instances.values()].filter((i) => i.service === service)
  }

  services(): Instance[] {
    return [...this.#instances.values()]
  }

  subscribe(listener: (changes: readonly ServiceChange[]) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  liveNodes(): string[] {
    return this.live
  }

  heartbeatCapacity(): number {
    return this.capacity
  }

  peers(): string[] {
    return this.live.filter((p) => p !== this.peerId)
  }

  /** Owners not attested (every other one is). */
  readonly unattested = new Set<string>()
  readonly #attestationListeners = new Set<() => void>()

  attested(owner: string): boolean {
    return !this.unattested.has(owner)
  }

  onAttestationChange(listener: () => void): () => void {
    this.#attestationListeners.add(listener)
    return () => this.#attestationListeners.delete(listener)
  }

  /** Sets whether `owner` is attested and tells the listeners, as the mesh would. */
  attest(owner: string, attested: boolean): void {
    if (attested) this.unattested.delete(owner)
    else this.unattested.add(owner)
    for (const listener of [...this.#attestationListeners]) listener()
  }

  advertisedHost(): string {
    return '127.0.0.1'
  }

  register(): Promise<RegistrationHandle> {
    return Promise.reject(new Error('FakeNode takes instances through put()'))
  }

  /** Claims the election made, in order. */
  readonly claims: Array<{ key: string; term: number }> = []

  /** Applies a claim to an instance this node owns, as the mesh would (an update). */
  async claimLeadership(key: string, term: number): Promise<boolean> {
    const held = this.#instances.get(key)
    if (held === undefined || held.owner !== this.peerId) return false
    this.claims.push({ key, term })
    const counter = held.revision.counter + 1n
    this.put({ ...held, leaderTerm: term, revision: { ...held.revision, counter } })
    return true
  }

  deregister(): Promise<boolean> {
    return Promise.reject(new Error('FakeNode takes instances through remove()'))
  }

  watch(): never {
    throw new Error('FakeNode has no watch; the election uses subscribe')
  }

  async stop(): Promise<void> {}

  #emit(changes: readonly ServiceChange[]): void {
    for (const listener of [...this.#listeners]) listener(changes)
  }
}
