/**
 * The node users hold: the discovery API of the mesh plus what only a networked node has
 * (listen addresses, neighbour events, transport counters). A thin shell: every discovery call
 * goes to the Mesh, every network fact comes from the libp2p transport.
 */

import type {
  DiscoveryNode,
  HeartbeatSchedule,
  Instance,
  InstanceSpec,
  PeerEvent,
  RegistrationHandle,
  Scheduler,
  ServiceChange,
  WatchEvent,
} from '../contract.ts'
import { createElection, type Election, type ElectionOptions } from '../election/index.ts'
import type { Mesh, MeshStats } from '../mesh/mesh.ts'
import type { Libp2pTransport, TransportStats } from './libp2p-transport.ts'

/** A node's counters: the mesh's (frames, rejections, replica size) plus its network's. */
export interface GossipNodeStats extends MeshStats {
  /** Connected neighbours speaking this cluster's protocol. */
  peers: number
  /** Of those, the ones in gossipsub's mesh: each frame goes to (and comes from) them. */
  meshPeers: number
  transport: TransportStats
}

/** A discovery node on a libp2p network, as `createNode` returns it. */
export interface GossipNode extends DiscoveryNode {
  /** The cluster name: only nodes of the same cluster exchange registrations. */
  readonly cluster: string
  /** Addresses other nodes can dial, each ending in /p2p/<peer id>. */
  addresses(): string[]
  /** A snapshot of the counters. */
  stats(): GossipNodeStats
  /** Heartbeat and anti-entropy intervals in force for the cluster size this node sees now. */
  heartbeatSchedule(): HeartbeatSchedule
  /** Calls `listener` when a neighbour connects or disconnects; returns the remover. */
  onPeerEvent(listener: (event: PeerEvent) => void): () => void
  /** Leader election over this node's view (see src/election); close it when done. */
  election(options?: ElectionOptions): Election
}

/**
 * The protocol driver behind a node, for the repository's own tests and tools that need its
 * internals (owner, transport, replica). Not part of the package's public API.
 */
export function meshOf(node: GossipNode): Mesh {
  if (!(node instanceof Libp2pGossipNode)) throw new TypeError('not a node made by createNode')
  return node.mesh
}

export class Libp2pGossipNode implements GossipNode {
  readonly mesh: Mesh
  readonly cluster: string
  readonly #transport: Libp2pTransport
  readonly #releaseIdentity: () => Promise<void>

  /** `releaseIdentity` unlocks the key file once stopped. */
  constructor(
    mesh: Mesh,
    transport: Libp2pTransport,
    cluster: string,
    releaseIdentity: () => Promise<void> = async () => undefined,
  ) {
    this.mesh = mesh
    this.#transport = transport
    this.cluster = cluster
    this.#releaseIdentity = releaseIdentity
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

  claimLeadership(key: string, term: number): Promise<boolean> {
    return this.mesh.claimLeadership(key, term)
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

  attested(owner: string): boolean {
    return this.mesh.attested(owner)
  }

  onAttestationChange(listener: () => void): () => void {
    return this.mesh.onAttestationChange(listener)
  }

  heartbeatCapacity(): number {
    return this.mesh.heartbeatCapacity()
  }

  heartbeatSchedule(): HeartbeatSchedule {
    return this.mesh.heartbeatSchedule
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
      meshPeers: this.#transport.meshPeers(),
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
    return this.mesh.stop().finally(this.#releaseIdentity)
  }
}
