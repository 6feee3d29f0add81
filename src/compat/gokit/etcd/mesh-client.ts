/**
 * The EtcdClient served by a discovery node: go-kit services written against sd/etcd run
 * unchanged on the mesh. Keys map to (service, instance id) by shared/keyspace.ts
 * ("/svc/foo/1.2.3.4:80" <-> service "/svc/foo", id "1.2.3.4:80"), values to the instance's
 * single address. go-kit's ClientOptions (certificates, dial timeouts) have no meaning here:
 * the node is already connected; they matter to the etcd bridge only.
 */
import { type DiscoveryNode, instanceKey } from '../../../contract.ts'
import { Channel } from '../../shared/channel.ts'
import { subscribeMatching } from '../../shared/feed.ts'
import { instancesUnder, keyToRef, keyValueOf, underPrefix } from '../../shared/keyspace.ts'
import { requireNode, requireString } from '../../shared/validate.ts'
import { type EtcdClient, NoKeyError, NoValueError, type Service } from './client.ts'

/** Options of the go-kit etcd Client served by the mesh. */
export interface MeshClientOptions {
  /** Ends every watch when it aborts (go-kit's NewClient context). */
  signal?: AbortSignal
}

function requireKey(service: unknown): string {
  const key = (service as Partial<Service> | null)?.key
  if (key === undefined || key === null || key === '') throw new NoKeyError()
  return requireString('service.key', key)
}

class MeshEtcdClient implements EtcdClient {
  readonly #node: DiscoveryNode
  readonly #signal: AbortSignal | undefined

  constructor(node: DiscoveryNode, signal: AbortSignal | undefined) {
    this.#node = node
    this.#signal = signal
  }

  async getEntries(prefix: string): Promise<string[]> {
    requireString('prefix', prefix)
    return instancesUnder(this.#node, prefix).map(keyValueOf)
  }

  watchPrefix(prefix: string, signal?: AbortSignal): AsyncIterableIterator<void> {
    requireString('prefix', prefix)
    const signals = [signal, this.#signal].filter((s): s is AbortSignal => s !== undefined)
    const channel: Channel<void> = new Channel<void>({
      capacity: 1,
      signal: signals.length === 0 ? undefined : AbortSignal.any(signals),
      onClose: () => unsubscribe(),
    })
    const unsubscribe = subscribeMatching(this.#node, underPrefix(prefix), () => {
      channel.push(undefined)
    })
    if (channel.closed) unsubscribe()
    else channel.push(undefined)
    return channel
  }

  async register(service: Service): Promise<void> {
    const key = requireKey(service)
    const value = service.value
    if (value === undefined || value === null || value === '') throw new NoValueError()
    const ref = keyToRef(key)
    await this.#node.register({
      service: ref.service,
      id: ref.id,
      addresses: [requireString('service.value', value)],
      ...(service.ttl === undefined ? {} : { ttlMs: service.ttl.ttl }),
    })
  }

  async deregister(service: Service): Promise<void> {
    const ref = keyToRef(requireKey(service))
    await this.#node.deregister(instanceKey(this.#node.peerId, ref.service, ref.id))
  }
}

/** An EtcdClient served by `node` (go-kit `etcd.NewClient`, with the node in place of machines). */
export function newMeshClient(node: DiscoveryNode, options: MeshClientOptions = {}): EtcdClient {
  return new MeshEtcdClient(requireNode(node), options.signal)
}
