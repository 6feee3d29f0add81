/**
 * The etcd v3 store behind a bridge, on the `etcd3` client, in one of the Go layouts
 * (layouts.ts).
 *
 * Marker: every export is attached to this backend's lease, and the lease is registered under
 * `/gossip-sd/bridges/<lease id>` = the mesh name, on the same lease. A reader tells a bridge's
 * export from a Go-written key by its lease; both are read at one revision (the layout's range
 * first, then the markers at that range's revision), so a key and its marker are never seen
 * apart. When the lease is lost (etcd unreachable past its TTL), a new one is granted at the
 * next write and exports under the old one count as 'previous', to be rewritten.
 */
import type { Etcd3, Lease, Watcher } from 'etcd3'
import { type Instance, InvalidArgumentError } from '../../../contract.ts'
import type { ExportEntry, StoreBackend, StoreEntry } from '../core/store.ts'
import { connectEtcd } from './connect.ts'
import type { EtcdKeyValue, EtcdLayout } from './layouts.ts'

/** The end of etcd's range for every key starting with `prefix` (the prefix plus one). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix)
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1
      return end.subarray(0, i + 1)
    }
  }
  return Buffer.from([0]) // all 0xff: every key from here on
}

/** Where bridges register their leases. */
export const MARKER_PREFIX = '/gossip-sd/bridges/'

/** Where the etcd backend connects and which key layout it reads and writes. */
export interface EtcdBackendOptions {
  /** etcd endpoints with their scheme, e.g. ["http://127.0.0.1:2379"] (go-kit's machines). */
  readonly endpoints: readonly string[]
  readonly layout: EtcdLayout
  /** TTL of the bridge's lease, in seconds: how long exports outlive a crashed bridge. @default 10 */
  readonly leaseTtlS?: number
  /** Bound on each call to etcd, in ms. @default 3000 */
  readonly callTimeoutMs?: number
}

interface RangedKey {
  readonly key: string
  readonly value: string
  readonly lease: string
  readonly createRevision: string
}

class EtcdBackend implements StoreBackend {
  readonly id: string
  readonly #layout: EtcdLayout
  readonly #client: Etcd3
  readonly #leaseTtlS: number
  readonly #watchers: Watcher[] = []
  readonly #previousLeases = new Set<string>()
  #lease: Lease | undefined
  #leaseId: Promise<string> | undefined
  #mesh = ''

  constructor(options: EtcdBackendOptions) {
    const { endpoints, layout, leaseTtlS = 10, callTimeoutMs = 3000 } = options
    if (!Array.isArray(endpoints) || endpoints.length === 0) {
      throw new InvalidArgumentError('the etcd backend needs at least one endpoint')
    }
    if (!Number.isInteger(leaseTtlS) || leaseTtlS < 1) {
      throw new InvalidArgumentError('leaseTtlS must be a whole number of seconds, at least 1')
    }
    this.#layout = layout
    this.#leaseTtlS = leaseTtlS
    this.id = `etcd ${layout.name} ${layout.prefix}`
    this.#client = connectEtcd(endpoints, callTimeoutMs)
  }

  encode(instance: Instance): ExportEntry | undefined {
    return this.#layout.encode(instance)
  }

  async open(mesh: string, onChange: () => void): Promise<void> {
    this.#mesh = mesh
    for (const prefix of [this.#layout.prefix, MARKER_PREFIX]) {
      const watcher = await this.#client.watch().prefix(prefix).create()
      watcher.on('put', onChange)
      watcher.on('delete', onChange)
      watcher.on('connected', onChange)
      watcher.on('disconnected', onChange)
      watcher.on('error', onChange)
      this.#watchers.push(watcher)
    }
    // A lease lost while idle must still be replaced: the pass after a loss rewrites exports.
    this.#onLeaseLost = onChange
  }

  #onLeaseLost: () => void = () => undefined

  async list(): Promise<StoreEntry[]> {
    const entries = await this.#range(this.#layout.prefix)
    const markers = await this.#range(MARKER_PREFIX, entries.revision)
    const meshByLease = new Map<string, string>()
    for (const m of markers.keys) meshByLease.set(m.key.slice(MARKER_PREFIX.length), m.value)
    const current = this.#leaseId === undefined ? undefined : await this.#leaseId
    return this.#layout.order(entries.keys).map((kv) => {
      const lease = (kv as RangedKey).lease
      const exportedBy = lease === '0' ? undefined : meshByLease.get(lease)
      const held =
        lease === current ? 'current' : this.#previousLeases.has(lease) ? 'previous' : undefined
      const spec = this.#layout.decode(kv)
      return {
        name: kv.key,
        value: kv.value,
        ...(exportedBy === undefined ? {} : { exportedBy }),
        ...(held === undefined ? {} : { held }),
        ...(spec === undefined ? {} : { spec }),
      } satisfies StoreEntry
    })
  }

  async put(entry: ExportEntry): Promise<void> {
    const lease = await this.#currentLease()
    if (!this.#layout.createOnly) {
      await this.#client.put(entry.name).value(entry.value).lease(lease).exec()
      return
    }
    // biregister: create only where the key was never created, or rewrite our own key
    for (const [target, expected] of [
      ['Create', 0],
      ['Lease', lease],
    ] as const) {
      const { succeeded } = await this.#client
        .if(entry.name, target, '==', expected)
        .then(this.#client.put(entry.name).value(entry.value).lease(lease))
        .commit()
      if (succeeded) return
    }
  }

  async remove(name: string): Promise<void> {
    await this.#client.delete().key(name).exec()
  }

  async close(): Promise<void> {
    for (const watcher of this.#watchers.splice(0)) await watcher.cancel().catch(() => undefined)
    const lease = this.#lease
    this.#lease = undefined
    if (lease !== undefined) await lease.revoke().catch(() => undefined)
    this.#client.close()
  }

  /** This backend's lease ID, granting a lease (and writing its marker) when there is none. */
  #currentLease(): Promise<string> {
    if (this.#leaseId !== undefined) return this.#leaseId
    const lease = this.#client.lease(this.#leaseTtlS)
    this.#lease = lease
    const granted = (async () => {
      const id = await lease.grant()
      await lease.put(`${MARKER_PREFIX}${id}`).value(this.#mesh).exec()
      return id
    })()
    this.#leaseId = granted
    const forget = (): void => {
      if (this.#lease !== lease) return
      this.#lease = undefined
      this.#leaseId = undefined
    }
    lease.on('lost', () => {
      void granted.then((id) => this.#previousLeases.add(id)).catch(() => undefined)
      forget()
      this.#onLeaseLost()
    })
    granted.catch(forget)
    return granted
  }

  async #range(
    prefix: string,
    revision?: string,
  ): Promise<{ keys: (EtcdKeyValue & { lease: string })[]; revision: string }> {
    const key = Buffer.from(prefix)
    const res = await this.#client.kv.range({
      key,
      range_end: prefixEnd(key),
      ...(revision === undefined ? {} : { revision }),
    })
    return {
      revision: res.header.revision,
      keys: res.kvs.map((kv) => ({
        key: kv.key.toString(),
        value: kv.value.toString(),
        lease: String(kv.lease),
        createRevision: String(kv.create_revision),
      })),
    }
  }
}

/** A bridge backend on the etcd at `options.endpoints`, in `options.layout`. */
export function etcdBackend(options: EtcdBackendOptions): StoreBackend {
  return new EtcdBackend(options)
}
