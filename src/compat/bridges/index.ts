/**
 * Bridges between a gossip-sd mesh and the stores Go services already use, in the layouts the
 * Go libraries write: `createBridge(node, { backend })` with a backend per store.
 *
 * @module gossip-sd/compat/bridges
 */

export { ConsulRequestError } from './consul/api.ts'
export {
  CONSUL_BRIDGE_META,
  CONSUL_MESH_META,
  type ConsulBackendOptions,
  consulBackend,
} from './consul/backend.ts'
export {
  type Bridge,
  type BridgeOptions,
  type BridgeState,
  type BridgeStats,
  createBridge,
  ORIGIN_METADATA,
} from './core/bridge.ts'
export type { ExportEntry, StoreBackend, StoreEntry } from './core/store.ts'
export { type EtcdBackendOptions, etcdBackend, MARKER_PREFIX } from './etcd/backend.ts'
export { type GoKitEtcdClientOptions, newGoKitEtcdClient } from './etcd/gokit-client.ts'
export {
  biregisterLayout,
  CREATE_REVISION_METADATA,
  type EtcdKeyValue,
  type EtcdLayout,
  type EtcdLayoutName,
  etcdLayout,
  goKitLayout,
  goMicroLayout,
  MICRO_PREFIX,
} from './etcd/layouts.ts'
export {
  ZK_MARKER_PATH,
  type ZooKeeperBackendOptions,
  zooKeeperBackend,
} from './zookeeper/backend.ts'
export { ZooKeeperSessionExpiredError, ZooKeeperTimeoutError } from './zookeeper/client.ts'
export { ZooKeeperProtocolError } from './zookeeper/containment.ts'
