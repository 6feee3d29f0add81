/**
 * go-kit's `sd` over a gossip-sd node: Instancer/Registrar (mesh-native and sd/etcd-shaped),
 * FixedInstancer, Endpointer with Factory and closers, and `lb` balancers with retry.
 * Channels become listeners and async iterators; contexts become AbortSignals.
 *
 * @module gossip-sd/compat/gokit
 */
export { InstanceCache } from './cache.ts'
export {
  type DnsSrvOptions,
  newDnsSrvInstancer,
  PortZeroError,
  type SrvLookup,
  type SrvRecord,
} from './dnssrv.ts'
export {
  type Endpointer,
  type EndpointerOptions,
  fixedEndpointer,
  newEndpointer,
} from './endpointer.ts'
export * as etcd from './etcd/index.ts'
export { fixedInstancer, instanceStrings, newInstancer } from './instancer.ts'
export * as lb from './lb/index.ts'
export { newRegistrar } from './registrar.ts'
export type {
  Closer,
  Endpoint,
  Event,
  EventListener,
  Factory,
  Instancer,
  Registrar,
} from './types.ts'
