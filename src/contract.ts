/**
 * The public contract: what a user, a compat face, election and the CLI rely on, in one place.
 * The discovery node interface, its registration handle and watch events are defined here; the
 * record types, the scheduler seam and the named errors are re-exported from where they live, so
 * nothing outside the core needs to import the membership or mesh implementation files.
 */
import type { ServiceChange } from './membership/service-set.ts'
import type { Instance, InstanceSpec } from './membership/types.ts'
import type { Scheduler } from './mesh/scheduler.ts'

export {
  GossipSdError,
  InputTooLargeError,
  InvalidArgumentError,
  InvalidSignatureError,
  MalformedInputError,
  OwnerMismatchError,
  type RejectionCode,
  StaleVersionError,
  TtlOutOfBoundsError,
  UnknownSchemaError,
} from './membership/errors.ts'
// The limits register() checks a spec against, and the check itself (the CLI checks its flags).
export { type MembershipLimits, resolveLimits } from './membership/limits.ts'
export type { ServiceChange } from './membership/service-set.ts'
export { MAX_LEADER_TERM, validateInstance } from './membership/statement.ts'
export type { PeerEvent } from './membership/transport.ts'
export {
  type Instance,
  type InstanceSpec,
  instanceKey,
  type ServiceEndpoint,
  type ServiceValue,
} from './membership/types.ts'
export { compareVersions, type Version } from './membership/version.ts'
export type { HeartbeatSchedule } from './mesh/config.ts'
export { type Scheduler, systemScheduler, VirtualScheduler } from './mesh/scheduler.ts'

/** What a watch yields: a snapshot of the matching instances first, then each change. */
export type WatchEvent =
  | { readonly type: 'snapshot'; readonly instances: readonly Instance[] }
  | ServiceChange

/** A registration this node owns. */
export interface RegistrationHandle {
  readonly key: string
  /** The instance as last registered. */
  readonly instance: Instance
  /** Re-registers with changed fields (same service and id). */
  update(changes: Partial<Omit<InstanceSpec, 'service' | 'id'>>): Promise<Instance>
  /** Publishes a tombstone. Idempotent. */
  deregister(): Promise<void>
}

/**
 * The public face of a discovery node, whatever drives it (libp2p, the in-memory network, the
 * simulator). Election, the compat faces and the CLI depend on this interface only.
 */
export interface DiscoveryNode {
  /** This node's peer ID: the owner of every instance it registers. */
  readonly peerId: string
  /** The node's clock and timers (virtual in tests and the simulator). */
  readonly scheduler: Scheduler
  /** Registers (or re-registers) an instance owned by this node; resolves once it is pushed. */
  register(spec: InstanceSpec): Promise<RegistrationHandle>
  /**
   * Re-signs an instance this node owns with a leadership claim of `term` (the election calls it
   * for the leader it names); false if it is not registered here. Later updates keep the claim.
   */
  claimLeadership(key: string, term: number): Promise<boolean>
  /** Deletes an instance this node owns, by key; false if it was not registered here. */
  deregister(key: string): Promise<boolean>
  /** Live instances of one service. */
  lookup(service: string): Instance[]
  /** All live instances. */
  services(): Instance[]
  /** Snapshot first, then every change; ends on abort, return() or stop(). */
  watch(service?: string, options?: { signal?: AbortSignal }): AsyncIterableIterator<WatchEvent>
  /** Synchronous change feed for shells built on the node; returns unsubscribe. */
  subscribe(listener: (changes: readonly ServiceChange[]) => void): () => void
  /** Connected neighbours. */
  peers(): string[]
  /**
   * Nodes (peer IDs, this one included) whose heartbeat this node saw within the default TTL (or
   * the lease it carried, in a cluster beyond the heartbeat capacity): the cluster as this side
   * of any partition sees it. Quorum-mode election counts these.
   */
  liveNodes(): string[]
  /**
   * Whether `owner` is attested here: this node, a connected neighbour, or an owner reachable
   * from them along the neighbours that live owners' heartbeats list (every node derives the same
   * set from the same heartbeats). An owner a member minted, with no process and no connection
   * of its own, is not. The election ranks attested owners' instances first.
   */
  attested(owner: string): boolean
  /** Calls `listener` after every change of the attested owners; returns the remover. */
  onAttestationChange(listener: () => void): () => void
  /**
   * Nodes this node's heartbeat settings serve before heartbeats are spaced out and leases
   * extended (MeshConfig.maxHeartbeatsPerSecond). Quorum mode requires its cluster to fit.
   */
  heartbeatCapacity(): number
  /** Host other nodes reach this one at, used to expand port-only addresses like ":9099". */
  advertisedHost(): string
  /** Tombstones this node's instances, waits until neighbours confirm them (bounded), then closes. */
  stop(): Promise<void>
}
