/** The user-facing shapes of a registration. They mirror go-micro's Service/Node/Endpoint/Value. */
import type { Version } from './version.ts'

/** A typed value of an endpoint's request or response (go-micro `registry.Value`). */
export interface ServiceValue {
  name: string
  type: string
  values: ServiceValue[]
}

/** An endpoint an instance serves (go-micro `registry.Endpoint`). */
export interface ServiceEndpoint {
  name: string
  request?: ServiceValue
  response?: ServiceValue
  metadata: Record<string, string>
}

/** What a caller registers. */
export interface InstanceSpec {
  /** Service name, e.g. `go.micro.srv.greeter`. */
  service: string
  /** Instance id, unique among this node's instances of the service. */
  id: string
  /** Service version (go-micro keeps one Service per version). @default '' */
  version?: string
  /** Addresses the instance serves on, e.g. `10.0.0.5:8080`. */
  addresses: string[]
  metadata?: Record<string, string>
  endpoints?: ServiceEndpoint[]
  /** How long receivers keep the instance after the last refresh they saw. */
  ttlMs?: number
}

/** A live instance as every node sees it. */
export interface Instance {
  /** Unique key: owner, service and id. */
  readonly key: string
  readonly service: string
  readonly id: string
  readonly version: string
  readonly addresses: readonly string[]
  readonly metadata: Readonly<Record<string, string>>
  readonly endpoints: readonly ServiceEndpoint[]
  /** Peer ID of the owning node: the only node that may change or delete this instance. */
  readonly owner: string
  /** Owner's wall clock (ms since epoch) at first registration: the age used by election. */
  readonly createdAt: number
  readonly ttlMs: number
  /**
   * The leadership term the owner claims for this instance, 0 for none. Set only by the owner's
   * election (`DiscoveryNode.claimLeadership`); it outranks age, so a live claimed leader is kept.
   */
  readonly leaderTerm: number
  /** The owner's version of this registration. */
  readonly revision: Version
}

/** The unique key of an instance. Service names and ids carry no control characters. */
export function instanceKey(owner: string, service: string, id: string): string {
  return `${owner}\n${service}\n${id}`
}

/** The owner named by an instance key (undefined for a string that is not one). */
export function ownerOfKey(key: string): string | undefined {
  const end = key.indexOf('\n')
  return end < 0 ? undefined : key.slice(0, end)
}
