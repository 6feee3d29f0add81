/**
 * What a bridge needs from a store: one small interface per store (etcd, ZooKeeper, Consul),
 * each speaking one layout (how Go code lays instances out in that store). The bridge core
 * (bridge.ts) knows nothing of keys, leases or sessions; a backend knows nothing of the mesh
 * beyond the instances it is asked to encode.
 *
 * Every entry a backend writes for a bridge carries a marker that other bridges can read (an
 * etcd lease or ZooKeeper session registered under a sidecar key, Consul service metadata), so
 * any bridge tells a Go-written entry from a bridge's export, and which mesh exported it.
 */
import type { Instance, InstanceSpec } from '../../../contract.ts'

/** One entry as the store holds it. */
export interface StoreEntry {
  /** The entry's name in the store (a key, a znode path, a service id): unique per store. */
  readonly name: string
  /** Its stored value, compared with what an export would write. */
  readonly value: string
  /** Mesh name of the bridge that exported it; undefined for an entry Go code wrote. */
  readonly exportedBy?: string
  /**
   * Written under this backend's current lease or session ('current'), or an earlier one of
   * this backend that a reconnect replaced ('previous'): exports this bridge answers for.
   */
  readonly held?: 'current' | 'previous'
  /** The mesh instance the entry becomes; undefined when the layout cannot read it. */
  readonly spec?: InstanceSpec
}

/** An export: what a mesh instance becomes in the store. */
export interface ExportEntry {
  readonly name: string
  readonly value: string
}

/**
 * The store side of a bridge: list, watch, write and delete keys of one layout in one external
 * store.
 */
export interface StoreBackend {
  /** Names the store and layout, e.g. "etcd go-kit /services/": the imported instances' origin. */
  readonly id: string
  /**
   * The export an instance becomes, or undefined when the layout cannot hold it (a service
   * name the layout cannot express). Pure: every bridge computes the same entry.
   */
  encode(instance: Instance): ExportEntry | undefined
  /**
   * Connects and marks this backend's exports as coming from `mesh`. `onChange` is called
   * whenever entries may have changed or the connection was lost or regained; the bridge then
   * lists again. Rejects when the store cannot be reached (the bridge retries with backoff).
   */
  open(mesh: string, onChange: () => void): Promise<void>
  /** Every entry in the layout's part of the store. Rejects when the store cannot be reached. */
  list(): Promise<StoreEntry[]>
  /** Writes (or rewrites) an export under this backend's marker. */
  put(entry: ExportEntry): Promise<void>
  /** Deletes an entry by name. */
  remove(name: string): Promise<void>
  /** Withdraws every export (revokes the lease, ends the session) and disconnects. */
  close(): Promise<void>
  /** The backend's own counters (e.g. ZooKeeper sessions opened, clients replaced), if any. */
  counters?(): Readonly<Record<string, number>>
}
