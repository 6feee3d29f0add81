/**
 * flynn discoverd's client over a gossip-sd node: registration (with attributes, standby and
 * sets), services(name, timeout), and ServiceSet with stable leaders (the oldest registration
 * leads, and stays leader while live: src/election/README.md).
 * Channels become async iterators; `Leaders()`/`Watch()` streams end when the set closes.
 *
 * @module gossip-sd/compat/discoverd
 */
export { TimeoutError } from '../shared/errors.ts'
export * as balancer from './balancer.ts'
export { type Client, DEFAULT_TIMEOUT, newClient, type Standby } from './client.ts'
export { expandAddr } from './convert.ts'
export { UnknownRegistrationError } from './errors.ts'
export type { ServiceSet } from './service-set.ts'
export type { Service, ServiceUpdate } from './types.ts'
