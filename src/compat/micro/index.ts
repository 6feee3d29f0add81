/**
 * go-micro's `registry` package over a gossip-sd node. Port by changing imports:
 * `registry.NewRegistry()` becomes `newRegistry(node)`, `r.GetService(name)` becomes
 * `await r.getService(name)`, `w.Next()` becomes `await w.next()`.
 *
 * @module gossip-sd/compat/micro
 */

export { TimeoutError } from '../shared/errors.ts'
export { SERVICE_METADATA_PREFIX } from './convert.ts'
export { NotFoundError, WatcherStoppedError } from './errors.ts'
export {
  type Action,
  type Event,
  EventType,
  eventOf,
  eventTypeString,
  type Result,
} from './event.ts'
export {
  type MeshInitFromOptions,
  meshInitFrom,
  type Options,
  type RegisterOptions,
  type TlsConfig,
  type WatchOptions,
} from './options.ts'
export { newRegistry, type Registry } from './registry.ts'
export type { Endpoint, Node, Service, Value } from './types.ts'
export { copy, copyService, merge, remove } from './util.ts'
export type { Watcher } from './watcher.ts'
