/**
 * The bridge: mirrors a mesh and a store both ways at once.
 *
 * One reconcile pass reads the store (backend.list) and the mesh (node.services) and makes both
 * agree:
 * - exports: every live mesh instance that no bridge imported becomes an entry (backend.encode);
 *   missing or changed entries are written, and entries this backend wrote that no instance
 *   wants any more are deleted. An entry that Go code (or another mesh's bridge) wrote under the
 *   same name is left alone: the store's own entry wins and is imported instead.
 * - imports: every entry not exported by a bridge of this mesh becomes an instance owned by this
 *   node, its origin in metadata; instances whose entry went away are deregistered.
 * No echo: imported instances (origin metadata set) are never exported, and entries marked as
 * this mesh's exports are never imported. Several bridges of one mesh on one store compute the
 * same exports (oldest instance first: a name two instances map to goes to the older one, and
 * new keys are written in the mesh's age order, which biregister's create-revision leader
 * follows) and leave an entry imported by a bridge node with a lower peer ID to it, so they
 * converge instead of fighting.
 *
 * Passes run one at a time; store and mesh changes mark the state dirty and start another.
 * A failed pass marks the store down and retries after a backoff (doubling, capped, jittered);
 * the pass that succeeds after an outage is a full resync, so nothing is lost or left stale.
 * Imported instances stay in the mesh while the store is down (their last known state).
 */

import {
  type DiscoveryNode,
  type Instance,
  type InstanceSpec,
  instanceKey,
} from '../../../contract.ts'
import { compareByAge } from '../../../election/rules.ts'
import type { StoreBackend, StoreEntry } from './store.ts'

/** Metadata key naming where an imported instance came from: `<backend id>|<entry name>`. */
export const ORIGIN_METADATA = 'gossip-sd.bridge.origin'

/** Where a bridge stands: connecting to its store, live, down (retrying), or closed. */
export type BridgeState = 'connecting' | 'live' | 'down' | 'closed'

/** A bridge's state and counters. */
export interface BridgeStats {
  readonly store: string
  readonly state: BridgeState
  /** Mesh instances the store holds as this bridge's (or its mesh's) exports. */
  readonly exported: number
  /** Store entries this bridge holds in the mesh. */
  readonly imported: number
  /** Mesh instances the layout cannot express, and exports shadowed by a store entry. */
  readonly skipped: number
  /** Completed reconcile passes and failed ones. */
  readonly passes: number
  readonly failures: number
  readonly lastError?: string
  /** The store backend's own counters (StoreBackend.counters), when it keeps any. */
  readonly backend?: Readonly<Record<string, number>>
}

/** Options of createBridge: the store backend, the mesh name, retry backoff and callbacks. */
export interface BridgeOptions {
  readonly backend: StoreBackend
  /**
   * Name shared by the bridges of one mesh: their exports are not imported by each other.
   * Bridges of meshes with other names import them (that is how two meshes meet in a store).
   * @default 'gossip-sd'
   */
  readonly mesh?: string
  /** First retry delay after a failure; doubles up to maxBackoffMs. @default 250 */
  readonly initialBackoffMs?: number
  /** @default 10000 */
  readonly maxBackoffMs?: number
  /** Told of every failed pass (the bridge retries on its own). */
  readonly onError?: (err: Error) => void
  /** Told of every change of state (connecting, live, down, closed). */
  readonly onStateChange?: (state: BridgeState) => void
}

/** A running bridge between a node and one store. */
export interface Bridge {
  readonly state: BridgeState
  /** Counters and state of the bridge. */
  stats(): BridgeStats
  /** Resolves after the next pass that finds nothing left to do (tests, benchmarks). */
  synced(): Promise<void>
  /** Stops mirroring, deregisters the imports and withdraws the exports. */
  close(): Promise<void>
}

interface Imported {
  readonly spec: InstanceSpec
  readonly fingerprint: string
}

function originOf(instance: Instance): string | undefined {
  return instance.metadata[ORIGIN_METADATA]
}

class StoreBridge implements Bridge {
  readonly #node: DiscoveryNode
  readonly #backend: StoreBackend
  readonly #mesh: string
  readonly #initialBackoffMs: number
  readonly #maxBackoffMs: number
  readonly #onError: ((err: Error) => void) | undefined
  readonly #onStateChange: ((state: BridgeState) => void) | undefined
  readonly #imports = new Map<string, Imported>()
  readonly #unsubscribe: () => void
  #state: BridgeState = 'connecting'
  #opened = false
  #dirty = true
  #running: Promise<void> | undefined
  #backoffMs: number
  #cancelRetry: (() => void) | undefined
  #waiters: Array<() => void> = []
  #exported = 0
  #skipped = 0
  #passes = 0
  #failures = 0
  #lastError: string | undefined

  constructor(node: DiscoveryNode, options: BridgeOptions) {
    this.#node = node
    this.#backend = options.backend
    this.#mesh = options.mesh ?? 'gossip-sd'
    this.#initialBackoffMs = options.initialBackoffMs ?? 250
    this.#maxBackoffMs = options.maxBackoffMs ?? 10_000
    this.#onError = options.onError
    this.#onStateChange = options.onStateChange
    this.#backoffMs = this.#initialBackoffMs
    this.#unsubscribe = node.subscribe(() => this.#kick())
    this.#kick()
  }

  get state(): BridgeState {
    return this.#state
  }

  #enter(state: BridgeState): void {
    if (this.#state === state) return
    this.#state = state
    this.#onStateChange?.(state)
  }

  /** A getter, so that TypeScript does not narrow the state across awaits. */
  get #closed(): boolean {
    return this.#state === 'closed'
  }

  stats(): BridgeStats {
    return {
      store: this.#backend.id,
      state: this.#state,
      exported: this.#exported,
      imported: this.#imports.size,
      skipped: this.#skipped,
      passes: this.#passes,
      failures: this.#failures,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
      ...(this.#backend.counters === undefined ? {} : { backend: this.#backend.counters() }),
    }
  }

  synced(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve)
      this.#kick()
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#enter('closed')
    this.#unsubscribe()
    this.#cancelRetry?.()
    await this.#running
    for (const spec of [...this.#imports.values()].map((i) => i.spec)) {
      await this.#node.deregister(instanceKey(this.#node.peerId, spec.service, spec.id))
    }
    this.#imports.clear()
    await this.#backend.close()
    for (const resolve of this.#waiters.splice(0)) resolve()
  }

  #kick(): void {
    this.#dirty = true
    if (this.#running !== undefined || this.#cancelRetry !== undefined) return
    if (this.#closed) return
    // The loop starts on the next microtask, once #running is set: a backend that reports a
    // change from inside the loop's first, synchronous steps (a dropped session) must not start
    // a second loop (seen: two sessions opened at once after a ZooKeeper restart).
    this.#running = Promise.resolve()
      .then(() => this.#loop())
      .finally(() => {
        this.#running = undefined
      })
  }

  async #loop(): Promise<void> {
    while (this.#dirty && !this.#closed) {
      this.#dirty = false
      try {
        if (!this.#opened) {
          await this.#backend.open(this.#mesh, () => this.#kick())
          this.#opened = true
        }
        await this.#pass()
        this.#passes++
        this.#backoffMs = this.#initialBackoffMs
        if (!this.#closed) this.#enter('live')
      } catch (err) {
        this.#fail(err instanceof Error ? err : new Error(String(err)))
        return
      }
    }
    if (!this.#dirty) for (const resolve of this.#waiters.splice(0)) resolve()
  }

  #fail(err: Error): void {
    this.#failures++
    this.#lastError = err.message
    if (this.#closed) return
    this.#enter('down')
    this.#onError?.(err)
    const delay = this.#backoffMs * (0.75 + Math.random() / 2)
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#maxBackoffMs)
    this.#cancelRetry = this.#node.scheduler.setTimer(delay, () => {
      this.#cancelRetry = undefined
      this.#kick()
    })
  }

  async #pass(): Promise<void> {
    const entries = await this.#backend.list()
    const byName = new Map(entries.map((e) => [e.name, e]))
    await this.#export(byName)
    await this.#import(entries)
  }

  async #export(byName: ReadonlyMap<string, StoreEntry>): Promise<void> {
    const wanted = new Map<string, string>()
    let skipped = 0
    const candidates = this.#node
      .services()
      .filter((i) => originOf(i) === undefined)
      .sort(compareByAge)
    for (const instance of candidates) {
      const entry = this.#backend.encode(instance)
      if (entry === undefined) skipped++
      else if (!wanted.has(entry.name)) wanted.set(entry.name, entry.value)
    }
    let exported = 0
    for (const [name, value] of wanted) {
      const actual = byName.get(name)
      if (actual !== undefined && actual.exportedBy !== this.#mesh) {
        skipped++ // Go code (or another mesh) owns this name
        continue
      }
      if (actual === undefined || actual.value !== value || actual.held === 'previous') {
        await this.#backend.put({ name, value })
      }
      exported++
    }
    for (const entry of byName.values()) {
      if (entry.held !== undefined && !wanted.has(entry.name))
        await this.#backend.remove(entry.name)
    }
    this.#exported = exported
    this.#skipped = skipped
  }

  async #import(entries: readonly StoreEntry[]): Promise<void> {
    const claimedBelow = this.#claimedByLowerBridges()
    const seen = new Set<string>()
    for (const entry of entries) {
      if (entry.exportedBy === this.#mesh || entry.spec === undefined) continue
      const origin = `${this.#backend.id}|${entry.name}`
      if (claimedBelow.has(origin)) continue
      seen.add(entry.name)
      const spec: InstanceSpec = {
        ...entry.spec,
        metadata: { ...entry.spec.metadata, [ORIGIN_METADATA]: origin },
      }
      const fingerprint = JSON.stringify(spec)
      if (this.#imports.get(entry.name)?.fingerprint === fingerprint) continue
      const previous = this.#imports.get(entry.name)
      if (previous !== undefined && previous.spec.id !== spec.id) await this.#drop(previous.spec)
      this.#imports.set(entry.name, { spec, fingerprint })
      await this.#node.register(spec)
    }
    for (const [name, imported] of this.#imports) {
      if (seen.has(name)) continue
      this.#imports.delete(name)
      await this.#drop(imported.spec)
    }
  }

  async #drop(spec: InstanceSpec): Promise<void> {
    await this.#node.deregister(instanceKey(this.#node.peerId, spec.service, spec.id))
  }

  /** Origins another bridge node of this mesh, with a lower peer ID, already imported. */
  #claimedByLowerBridges(): Set<string> {
    const me = this.#node.peerId
    const claimed = new Set<string>()
    for (const instance of this.#node.services()) {
      const origin = originOf(instance)
      if (origin !== undefined && instance.owner !== me && instance.owner < me) claimed.add(origin)
    }
    return claimed
  }
}

/** Starts mirroring `node` and the store behind `options.backend`, both ways. */
export function createBridge(node: DiscoveryNode, options: BridgeOptions): Bridge {
  return new StoreBridge(node, options)
}
