/**
 * go-micro Service <-> mesh instances. Each Node of a Service becomes one instance:
 * service = name, id = node id, version = version, addresses = [node address], endpoints =
 * the service's endpoints, metadata = the node's metadata plus the service's metadata under
 * keys prefixed with SERVICE_METADATA_PREFIX (so both round-trip through one metadata map).
 * Reading back groups instances by (name, version): one Service per version.
 */
import { type Instance, type InstanceSpec, InvalidArgumentError } from '../../contract.ts'
import { requireNonEmptyString, requireString, requireStringMap } from '../shared/validate.ts'
import type { Endpoint, Node, Service } from './types.ts'

/** Marks service-level metadata inside an instance's metadata. */
export const SERVICE_METADATA_PREFIX = 'micro.service:'

/** Checks a Service from (possibly untyped) caller code; returns a normalised copy. */
export function requireService(value: unknown): Service {
  if (value === null || typeof value !== 'object') {
    throw new InvalidArgumentError('expected a Service object')
  }
  const s = value as Partial<Record<keyof Service, unknown>>
  const nodes = s.nodes ?? []
  const endpoints = s.endpoints ?? []
  if (!Array.isArray(nodes)) throw new InvalidArgumentError('service.nodes must be an array')
  if (!Array.isArray(endpoints)) {
    throw new InvalidArgumentError('service.endpoints must be an array')
  }
  return {
    name: requireNonEmptyString('service.name', s.name),
    version: requireString('service.version', s.version ?? ''),
    metadata: requireStringMap('service.metadata', s.metadata),
    endpoints: endpoints as Endpoint[],
    nodes: nodes.map((node: unknown, i) => {
      if (node === null || typeof node !== 'object') {
        throw new InvalidArgumentError(`service.nodes[${i}] must be a Node object`)
      }
      const n = node as Partial<Record<keyof Node, unknown>>
      return {
        id: requireNonEmptyString(`service.nodes[${i}].id`, n.id),
        address: requireString(`service.nodes[${i}].address`, n.address ?? ''),
        metadata: requireStringMap(`service.nodes[${i}].metadata`, n.metadata),
      }
    }),
  }
}

export function serviceToSpecs(service: Service, ttlMs: number | undefined): InstanceSpec[] {
  const serviceMetadata = Object.fromEntries(
    Object.entries(service.metadata).map(([k, v]) => [SERVICE_METADATA_PREFIX + k, v]),
  )
  return service.nodes.map((node) => {
    const spec: InstanceSpec = {
      service: service.name,
      id: node.id,
      version: service.version,
      addresses: node.address === '' ? [] : [node.address],
      metadata: { ...node.metadata, ...serviceMetadata },
      endpoints: service.endpoints,
    }
    if (ttlMs !== undefined) spec.ttlMs = ttlMs
    return spec
  })
}

/** Splits an instance's metadata back into (node metadata, service metadata). */
function splitMetadata(metadata: Readonly<Record<string, string>>): {
  node: Record<string, string>
  service: Record<string, string>
} {
  const node: Record<string, string> = {}
  const service: Record<string, string> = {}
  for (const [k, v] of Object.entries(metadata)) {
    if (k.startsWith(SERVICE_METADATA_PREFIX)) service[k.slice(SERVICE_METADATA_PREFIX.length)] = v
    else node[k] = v
  }
  return { node, service }
}

export function instanceToNode(instance: Instance): Node {
  return {
    id: instance.id,
    address: instance.addresses[0] ?? '',
    metadata: splitMetadata(instance.metadata).node,
  }
}

/** A Service holding just this instance's node (what a watch Result carries). */
export function instanceToService(instance: Instance): Service {
  return {
    name: instance.service,
    version: instance.version,
    metadata: splitMetadata(instance.metadata).service,
    endpoints: structuredClone([...instance.endpoints]),
    nodes: [instanceToNode(instance)],
  }
}

/** The one-node Service a spec registers, as instanceToService would read it back. */
export function specToService(spec: InstanceSpec): Service {
  const { node, service } = splitMetadata(spec.metadata ?? {})
  return {
    name: spec.service,
    version: spec.version ?? '',
    metadata: service,
    endpoints: structuredClone([...(spec.endpoints ?? [])]),
    nodes: [{ id: spec.id, address: spec.addresses[0] ?? '', metadata: node }],
  }
}

/** Whether two Services carry the same fields (deep equality, key order aside). */
export function sameService(a: Service, b: Service): boolean {
  return canonical(a) === canonical(b)
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => compare(a, b)))
      : v,
  )
}

/** Groups instances into one Service per (name, version), ordered by name, version, node id. */
export function instancesToServices(instances: readonly Instance[]): Service[] {
  const sorted = [...instances].sort(
    (a, b) => compare(a.service, b.service) || compare(a.version, b.version) || compare(a.id, b.id),
  )
  const byVersion = new Map<string, Service>()
  for (const instance of sorted) {
    const group = `${instance.service}\n${instance.version}`
    const service = byVersion.get(group)
    if (service === undefined) {
      byVersion.set(group, instanceToService(instance))
    } else {
      service.nodes.push(instanceToNode(instance))
      Object.assign(service.metadata, splitMetadata(instance.metadata).service)
    }
  }
  return [...byVersion.values()]
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
