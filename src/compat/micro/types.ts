/** go-micro's registry records: Service, Node, Endpoint, Value. */
import type { ServiceEndpoint, ServiceValue } from '../../contract.ts'

/** A request or response type tree (go-micro `Value`). */
export type Value = ServiceValue

/** An RPC endpoint of a service (go-micro `Endpoint`). */
export type Endpoint = ServiceEndpoint

/** One running instance of a service (go-micro `Node`). */
export interface Node {
  id: string
  address: string
  metadata: Record<string, string>
}

/**
 * A service at one version with its nodes (go-micro `Service`). getService returns one Service
 * per version, since go-micro separates Name/Version.
 */
export interface Service {
  name: string
  version: string
  metadata: Record<string, string>
  endpoints: Endpoint[]
  nodes: Node[]
}
