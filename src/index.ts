/**
 * gossip-sd: embedded peer-to-peer service discovery. The front door: the public contract
 * (the node interface, its records, events, scheduler seam and errors), `createNode` with its
 * options and presets, and leader election. The core (records, signatures, the CRDT, the
 * protocol driver) is under `gossip-sd/membership`; the in-memory network under `gossip-sd/memory`.
 *
 *   const node = await createNode({ cluster: 'shop' })
 *   await node.register({ service: 'cart', id: 'cart-1', addresses: ['10.0.0.7:8080'] })
 *
 * @module gossip-sd
 */

export * from './contract.ts'
export {
  compareByAge,
  createElection,
  type DemotionReason,
  type Election,
  type ElectionEvent,
  type ElectionOptions,
  type Leadership,
  leaderOf,
} from './election/index.ts'
export {
  defaultMeshConfig,
  lanMeshConfig,
  localMeshConfig,
  type MeshConfig,
  wanMeshConfig,
} from './mesh/config.ts'
export type { MeshStats } from './mesh/mesh.ts'
export * from './node/index.ts'
