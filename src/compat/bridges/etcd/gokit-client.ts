/**
 * go-kit's sd/etcdv3 Client on a real etcd: the `EtcdClient` shape of compat/gokit/etcd, so
 * `newEtcdInstancer` and `newEtcdRegistrar` run against etcd exactly as go-kit does. It writes
 * what go-kit writes: `register` puts key = value, with a lease of the TTLOption's `ttl` kept
 * alive every `heartbeat` when one is given and no lease otherwise; `deregister` deletes the key
 * (and revokes its lease). `getEntries` returns the values under a prefix in key order.
 */
import type { Etcd3, Lease } from 'etcd3'
import { InvalidArgumentError } from '../../../contract.ts'
import { type EtcdClient, NoKeyError, NoValueError, type Service } from '../../gokit/etcd/client.ts'
import { Channel } from '../../shared/channel.ts'
import { requireString } from '../../shared/validate.ts'
import { connectEtcd } from './connect.ts'

/** Options of the go-kit etcd Client served by a real etcd. */
export interface GoKitEtcdClientOptions {
  /** Ends every watch when it aborts (go-kit's NewClient context). */
  readonly signal?: AbortSignal
  /** Bound on each call, in ms (go-kit's DialTimeout / HeaderTimeoutPerRequest). @default 3000 */
  readonly callTimeoutMs?: number
}

class GoKitEtcdClient implements EtcdClient {
  readonly #client: Etcd3
  readonly #signal: AbortSignal | undefined
  readonly #leases = new Map<string, Lease>()

  constructor(endpoints: readonly string[], options: GoKitEtcdClientOptions) {
    const timeout = options.callTimeoutMs ?? 3000
    this.#client = connectEtcd(endpoints, timeout)
    this.#signal = options.signal
  }

  async getEntries(prefix: string): Promise<string[]> {
    requireString('prefix', prefix)
    const values = await this.#client.getAll().prefix(prefix).sort('Key', 'Ascend').strings()
    return Object.values(values)
  }

  watchPrefix(prefix: string, signal?: AbortSignal): AsyncIterableIterator<void> {
    requireString('prefix', prefix)
    const signals = [signal, this.#signal].filter((s): s is AbortSignal => s !== undefined)
    const watching = this.#client.watch().prefix(prefix).create()
    const channel: Channel<void> = new Channel<void>({
      capacity: 1,
      signal: signals.length === 0 ? undefined : AbortSignal.any(signals),
      onClose: () => void watching.then((w) => w.cancel()).catch(() => undefined),
    })
    void watching
      .then((watcher) => {
        const signalChange = (): void => {
          channel.push(undefined)
        }
        watcher.on('put', signalChange).on('delete', signalChange).on('connected', signalChange)
        if (!channel.closed) channel.push(undefined)
      })
      .catch(() => channel.close())
    return channel
  }

  async register(service: Service): Promise<void> {
    const key = requireKey(service)
    if (service.value === undefined || service.value === null || service.value === '') {
      throw new NoValueError()
    }
    const value = requireString('service.value', service.value)
    const previous = this.#leases.get(key)
    this.#leases.delete(key)
    if (service.ttl === undefined) {
      await this.#client.put(key).value(value).exec()
    } else {
      const lease = this.#client.lease(Math.max(1, Math.ceil(service.ttl.ttl / 1000)))
      lease.on('lost', () => undefined) // the registrar's next register() grants a new one
      this.#leases.set(key, lease)
      await lease.put(key).value(value).exec()
    }
    // The key moved to its new lease in one put; the old lease holds nothing any more.
    await previous?.revoke().catch(() => undefined)
  }

  async deregister(service: Service): Promise<void> {
    const key = requireKey(service)
    await this.#client.delete().key(key).exec()
    await this.#revoke(key)
  }

  /** Ends every lease and the connection (go-kit cancels the client's context). */
  async close(): Promise<void> {
    for (const key of [...this.#leases.keys()]) await this.#revoke(key)
    this.#client.close()
  }

  async #revoke(key: string): Promise<void> {
    const lease = this.#leases.get(key)
    this.#leases.delete(key)
    await lease?.revoke().catch(() => undefined)
  }
}

function requireKey(service: unknown): string {
  if (service === null || typeof service !== 'object') {
    throw new InvalidArgumentError('expected a Service')
  }
  const key = (service as Partial<Service>).key
  if (key === undefined || key === null || key === '') throw new NoKeyError()
  return requireString('service.key', key)
}

/** go-kit `etcdv3.NewClient(ctx, machines, options)` on a real etcd. */
export function newGoKitEtcdClient(
  endpoints: readonly string[],
  options: GoKitEtcdClientOptions = {},
): EtcdClient & {
  /** Ends every lease and the connection. */
  close(): Promise<void>
} {
  if (!Array.isArray(endpoints) || endpoints.length === 0) {
    throw new InvalidArgumentError('newGoKitEtcdClient needs at least one endpoint')
  }
  return new GoKitEtcdClient(endpoints, options)
}
