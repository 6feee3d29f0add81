/**
 * The in-memory network and cluster: `gossip-sd/memory`, for tests, demos and the simulator.
 *
 * @module gossip-sd/memory
 */

export { seededRandom } from '../util/random.ts'
export {
  type LinkConditions,
  MemoryNetwork,
  type MemoryNetworkOptions,
  type MemoryNetworkStats,
} from './memory.ts'
export {
  advanceUntilSettled,
  flush,
  type MemoryCluster,
  type MemoryClusterOptions,
  StillPendingError,
  startMemoryCluster,
} from './memory-cluster.ts'
