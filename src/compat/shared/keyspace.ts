/**
 * The etcd-style keyspace over the mesh, shared by go-kit's sd/etcd Client shape and
 * biregister. A key's last `/` splits it into a service (the directory) and an instance id
 * (the name); the value is the instance's single address:
 *
 *   "/service/foobar/1.2.3.4:8080" = "http://1.2.3.4:8080"
 *     <-> service "/service/foobar", id "1.2.3.4:8080", addresses ["http://1.2.3.4:8080"]
 *
 * The mapping is reversible for every key with a non-empty directory and name, so writes from
 * these faces round-trip exactly; instances registered through the other faces (service
 * "greeter", id "a") appear read-only as the key "greeter/a". Prefix queries scan the live set,
 * as etcd's range reads do.
 */
import { type DiscoveryNode, type Instance, InvalidArgumentError } from '../../contract.ts'

export interface KeyRef {
  readonly service: string
  readonly id: string
}

/** Splits an etcd-style key; throws InvalidArgumentError when it has no directory or no name. */
export function keyToRef(key: string): KeyRef {
  const slash = key.lastIndexOf('/')
  const service = key.slice(0, Math.max(slash, 0))
  const id = key.slice(slash + 1)
  if (slash < 0 || service.length === 0 || id.length === 0) {
    throw new InvalidArgumentError(
      `key ${JSON.stringify(key)} must look like "<directory>/<name>", e.g. "/service/foo/1.2.3.4:80"`,
    )
  }
  return { service, id }
}

/** The key an instance is seen under. */
export function keyOf(instance: Pick<Instance, 'service' | 'id'>): string {
  return `${instance.service}/${instance.id}`
}

/** The value an instance carries in this keyspace (its first address, or ''). */
export function keyValueOf(instance: Instance): string {
  return instance.addresses[0] ?? ''
}

/** True when the instance's key lies under `prefix` (every key lies under ''). */
export function underPrefix(prefix: string): (instance: Instance) => boolean {
  return (instance) => keyOf(instance).startsWith(prefix)
}

/** Live instances under `prefix`, ordered by key (etcd's range order). */
export function instancesUnder(node: DiscoveryNode, prefix: string): Instance[] {
  const keyed = node
    .services()
    .filter(underPrefix(prefix))
    .map((instance) => [keyOf(instance), instance] as const)
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return keyed.map(([, instance]) => instance)
}
