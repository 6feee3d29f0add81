/**
 * How Go code lays service instances out in etcd v3, one layout per library:
 *
 * - go-kit sd/etcdv3: `<prefix><service>/<anything>` = the instance string; readers take every
 *   value under the service's prefix and ignore key names. Export: `<prefix>S/<id>` = the first
 *   address. Import: service = the key's first segment after the prefix, id = the rest.
 * - go-micro's etcd registry: `/micro/registry/<name>/<node id>` (each `/` in name and id
 *   replaced by `-`) = the JSON Service holding that one node (name, version, metadata,
 *   endpoints, nodes). Versions, metadata and endpoints carry through both ways.
 * - biregister: `<prefix><name>` = a raw value, created only if the key was never created;
 *   the leader is the key with the lowest create revision. Keys map to instances as the
 *   biregister face maps them (shared/keyspace.ts: the last `/` splits service and id, the value
 *   is the address), the create revision goes in metadata, and imports are registered in
 *   create-revision order, so the mesh's oldest-registration leader is the store's
 *   lowest-create-revision one.
 */
import { type Instance, type InstanceSpec, InvalidArgumentError } from '../../../contract.ts'
import { instanceToService, requireService, serviceToSpecs } from '../../micro/convert.ts'
import { keyOf, keyToRef } from '../../shared/keyspace.ts'
import type { ExportEntry } from '../core/store.ts'

/** The key layouts a bridge can mirror. */
export type EtcdLayoutName = 'go-kit' | 'go-micro' | 'biregister'

/** One etcd key as a layout sees it. */
export interface EtcdKeyValue {
  readonly key: string
  readonly value: string
  readonly createRevision: string
}

/** How instances map to etcd keys and values for one Go library's conventions. */
export interface EtcdLayout {
  readonly name: EtcdLayoutName
  /** Every key of the layout lies under this prefix. */
  readonly prefix: string
  /** Exports are created only where no key exists (biregister's create-if-absent). */
  readonly createOnly: boolean
  /** Reads entries in this order (biregister: by create revision). */
  order(entries: EtcdKeyValue[]): EtcdKeyValue[]
  /** The key and value an instance is exported as, or undefined when the layout cannot hold it. */
  encode(instance: Instance): ExportEntry | undefined
  /** The instance a key holds, or undefined when it holds none the layout can read. */
  decode(entry: EtcdKeyValue): InstanceSpec | undefined
}

/** go-micro's registry root. */
export const MICRO_PREFIX = '/micro/registry/'

function requirePrefix(prefix: string): string {
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new InvalidArgumentError('an etcd layout needs a non-empty prefix, e.g. "/services/"')
  }
  return prefix
}

/** Key order, as etcd's range reads return them. */
function asListed(entries: EtcdKeyValue[]): EtcdKeyValue[] {
  return entries
}

/** go-kit etcdv3's layout: prefix + service/id holds the instance's address. */
export function goKitLayout(prefix: string): EtcdLayout {
  const root = requirePrefix(prefix)
  return {
    name: 'go-kit',
    prefix: root,
    createOnly: false,
    order: asListed,
    encode(instance) {
      const value = instance.addresses[0]
      if (value === undefined || value === '' || instance.service.includes('/')) return undefined
      return { name: `${root}${instance.service}/${instance.id}`, value }
    },
    decode({ key, value }) {
      const rest = key.slice(root.length)
      const slash = rest.indexOf('/')
      if (slash <= 0 || slash === rest.length - 1 || value === '') return undefined
      return { service: rest.slice(0, slash), id: rest.slice(slash + 1), addresses: [value] }
    },
  }
}

/** go-micro's path escaping: every `/` in a name or node id becomes `-`. */
function escapeSegment(segment: string): string {
  return segment.replaceAll('/', '-')
}

/** go-micro encodes a Service with Go's encoding/json: fields in struct order, maps by key. */
function goJson(instance: Instance): string {
  const service = instanceToService(instance)
  const sorted = (m: Record<string, string>): Record<string, string> | null =>
    Object.keys(m).length === 0
      ? null
      : Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)))
  const node = service.nodes[0]
  return JSON.stringify({
    name: service.name,
    version: service.version,
    metadata: sorted(service.metadata),
    endpoints: service.endpoints.length === 0 ? null : service.endpoints,
    nodes:
      node === undefined
        ? null
        : [{ id: node.id, address: node.address, metadata: sorted(node.metadata) }],
  })
}

/** go-micro's layout: /micro/registry/<service>/<node id> holds the Service as JSON. */
export function goMicroLayout(): EtcdLayout {
  return {
    name: 'go-micro',
    prefix: MICRO_PREFIX,
    createOnly: false,
    order: asListed,
    encode(instance) {
      const name = `${MICRO_PREFIX}${escapeSegment(instance.service)}/${escapeSegment(instance.id)}`
      return { name, value: goJson(instance) }
    },
    decode({ value }) {
      try {
        const specs = serviceToSpecs(requireService(JSON.parse(value)), undefined)
        return specs.length === 1 ? specs[0] : undefined
      } catch {
        return undefined // not a go-micro Service: the reader skips it, as go-micro's does
      }
    },
  }
}

/** Metadata key carrying a biregister key's create revision. */
export const CREATE_REVISION_METADATA = 'biregister.createRevision'

/** biregister's layout: prefix + name holds the value. */
export function biregisterLayout(prefix: string): EtcdLayout {
  const root = requirePrefix(prefix)
  return {
    name: 'biregister',
    prefix: root,
    createOnly: true,
    order: (entries) =>
      [...entries].sort((a, b) => {
        const d = BigInt(a.createRevision) - BigInt(b.createRevision)
        return d < 0n ? -1 : d > 0n ? 1 : 0
      }),
    encode(instance) {
      const name = keyOf(instance)
      const value = instance.addresses[0]
      if (!name.startsWith(root) || value === undefined) return undefined
      return { name, value }
    },
    decode({ key, value, createRevision }) {
      if (key.length === root.length) return undefined
      try {
        const { service, id } = keyToRef(key)
        return {
          service,
          id,
          addresses: [value],
          metadata: { [CREATE_REVISION_METADATA]: createRevision },
        }
      } catch {
        return undefined // no directory or no name: not a key the biregister face can hold
      }
    },
  }
}

/** The layout a name stands for (the agent's --bridge-layout). */
export function etcdLayout(name: EtcdLayoutName, prefix: string): EtcdLayout {
  switch (name) {
    case 'go-kit':
      return goKitLayout(prefix)
    case 'go-micro':
      return goMicroLayout()
    case 'biregister':
      return biregisterLayout(prefix)
  }
}
