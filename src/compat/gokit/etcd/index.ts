/** go-kit `sd/etcd`: the Client shape, its mesh implementation, Instancer and Registrar. */
export {
  type ClientOptions,
  type EtcdClient,
  MIN_HEARTBEAT_MS,
  NoKeyError,
  NoValueError,
  newTTLOption,
  type Service,
  type TTLOption,
} from './client.ts'
export { newEtcdInstancer, newEtcdRegistrar } from './instancer.ts'
export { type MeshClientOptions, newMeshClient } from './mesh-client.ts'
