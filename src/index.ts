/**
 * gossip-sd: embedded peer-to-peer service discovery. The front door: the node API and the
 * membership types. Subpath exports give the core (`gossip-sd/membership`) and the in-memory
 * transport (`gossip-sd/memory`).
 */

export {
  createElection,
  type Election,
  type ElectionOptions,
  type Leadership,
} from './election/index.ts'
export { compareByAge, leaderOf } from './election/rules.ts'
export * from './membership/index.ts'
export {
  defaultMeshConfig,
  lanMeshConfig,
  localMeshConfig,
  type MeshConfig,
  wanMeshConfig,
} from './mesh/config.ts'
export type { WatchEvent } from './mesh/events.ts'
export { Mesh, type MeshInit, type MeshStats, type RegistrationHandle } from './mesh/mesh.ts'
export type { DiscoveryNode } from './mesh/node-api.ts'
export { type Scheduler, systemScheduler, VirtualScheduler } from './mesh/scheduler.ts'
export * from './node/index.ts'
