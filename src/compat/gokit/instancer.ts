/**
 * Instancers: the mesh-native one (one service's live instances) and FixedInstancer (go-kit
 * `sd.FixedInstancer`, a constant set). An instance's strings are its addresses: an instance
 * with two addresses yields two instance strings, as two endpoints would in go-kit.
 */
import { type DiscoveryNode, type Instance, InvalidArgumentError } from '../../contract.ts'
import { subscribeMatching } from '../shared/feed.ts'
import { requireNode, requireNonEmptyString, requireString } from '../shared/validate.ts'
import { InstanceCache } from './cache.ts'
import type { Instancer } from './types.ts'

/** The instance strings of a set of instances. */
export function instanceStrings(instances: readonly Instance[]): string[] {
  return instances.flatMap((instance) => instance.addresses)
}

/** An Instancer yielding the addresses of `service`'s live instances, kept current by the node. */
export function newInstancer(node: DiscoveryNode, service: string): Instancer {
  requireNode(node)
  requireNonEmptyString('service', service)
  const read = () => ({ instances: instanceStrings(node.lookup(service)) })
  const unsubscribe = subscribeMatching(
    node,
    (instance) => instance.service === service,
    () => cache.update(read()),
  )
  const cache = new InstanceCache(unsubscribe)
  cache.update(read())
  return cache
}

/** An Instancer that always yields `instances` (go-kit `FixedInstancer`). */
export function fixedInstancer(instances: readonly string[]): Instancer {
  if (!Array.isArray(instances)) {
    throw new InvalidArgumentError('instances must be an array of strings')
  }
  const cache = new InstanceCache()
  cache.update({ instances: instances.map((s, i) => requireString(`instances[${i}]`, s)) })
  return cache
}
