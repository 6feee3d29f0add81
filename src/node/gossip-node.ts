/**
 * The node users hold: the discovery API of the mesh plus what only a networked node has
 * (listen addresses, neighbour events, transport counters). A thin shell: every discovery call
 * goes to the Mesh, every network fact comes from the libp2p transport.
 */
import { createElection, type Election, type ElectionOptions } from '../election/index.ts'
import type { ServiceChange } from '../membership/service-set.ts'
import type { PeerEvent } from '../membership/transport.ts'
import type { Instance, InstanceSpec } from '../membership/types.ts'
import type { WatchEvent } from '../mesh/events.ts'
import type { Mesh, MeshStats, RegistrationHandle } from '../mesh/mesh.ts'
import type { DiscoveryNode } from '../mesh/node-api.ts'
import type { Scheduler } from '../mesh/scheduler.ts'
import type { Libp2pTransport, TransportStats } from './libp2p-transport.ts'

export interface GossipNodeStats extends MeshStats {
  /** Connected neighbours speaking this cluster's protocol. */
  peers: number
  transport: TransportStats
}

export interface GossipNode extends DiscoveryNode {
  /** The protocol driver, for tools that need its internals (replica, owner, config). */
  readonly mesh: Mesh
  readonly cluster: string
  /** Addresses other nodes can dial, each ending in /p2p/<peer id>. */
  addresses(): string[]
  stats(): GossipNodeStats
  /** Calls `listener` when a neighbour connects or disconnects; returns the remover. */
  onPeerEvent(listener: (event: PeerEvent) => void): () => void
  /** Leader election over this node's view (see src/election); close it when done. */
  election(options?: ElectionOptions): Election
}

export class Libp2pGossipNode implements GossipNode {
  readonly mesh: Mesh
  readonly cluster: string
  readonly #transport: Libp2pTransport

  constructor(mesh: Mesh, transport: Libp2pTransport, cluster: string) {
    this.mesh = mesh
    this.#transport = transport
    this.cluster = cluster
  }

  get peerId(): string {
    return this.mesh.peerId
  }

  get scheduler(): Scheduler {
    return this.mesh.scheduler
  }

  register(spec: InstanceSpec): Promise<RegistrationHandle> {
    return this.mesh.register(spec)
  }

  deregister(key: string): Promise<boolean> {
    return this.mesh.deregister(key)
  }

  lookup(service: string): Instance[] {
    return this.mesh.lookup(service)
  }

  services(): Instance[] {
    return this.mesh.services()
  }

  watch(service?: string, options?: { signal?: AbortSignal }): AsyncIterableIterator<WatchEvent> {
    return this.mesh.watch(service, options)
  }

  subscribe(listener: (changes: readonly ServiceChange[]) => void): () => void {
    return this.mesh.subscribe(listener)
  }

  peers(): string[] {
    return this.mesh.peers()
  }

  liveNodes(): string[] {
    return this.mesh.liveNodes()
  }

  heartbeatCapacity(): number {
    return this.mesh.heartbeatCapacity()
  }

  advertisedHost(): string {
    return this.mesh.advertisedHost()
  }

  addresses(): string[] {
    return this.#transport.libp2p.getMultiaddrs().map((address) => address.toString())
  }

  stats(): GossipNodeStats {
    return {
      ...this.mesh.stats(),
      peers: this.#transport.peers().length,
      transport: { ...this.#transport.stats },
    }
  }

  onPeerEvent(listener: (event: PeerEvent) => void): () => void {
    return this.#transport.onPeerEvent(listener)
  }

  election(options?: ElectionOptions): Election {
    return createElection(this, options)
  }

  stop(): Promise<void> {
    return this.mesh.stop()
  }
}
