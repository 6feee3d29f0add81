/**
 * The simulated processes: one slot per machine, each with its own clock, identity seed and
 * (while it runs) a real `Mesh` on a simulated transport. Lifecycle operations are what an
 * operator or a failure does to a process: start (registering the workload), crash (no goodbye:
 * the clock halts and the transport vanishes), graceful stop (tombstones), restart with the same
 * identity or a fresh one, and deregistration of its instances.
 */
import { InvalidArgumentError } from '../src/membership/errors.ts'
import { type Signer, signerFromSeed } from '../src/membership/identity.ts'
import { nextIncarnation } from '../src/membership/owner.ts'
import type { OwnerDirectory } from '../src/membership/owner-directory.ts'
import type { InstanceSpec } from '../src/membership/types.ts'
import type { MeshConfig } from '../src/mesh/config.ts'
import { Mesh } from '../src/mesh/mesh.ts'
import { seededRandom } from '../src/util/random.ts'
import { type ClockSkew, NodeClock } from './clock.ts'
import type { SharedCodec } from './codec-cache.ts'
import type { SimNetwork } from './network.ts'
import type { EventQueue } from './queue.ts'
import type { TraceHash } from './trace.ts'

/** Told about every process that comes up or goes down. */
export interface ClusterListener {
  nodeUp(slot: number, mesh: Mesh): void
  nodeDown(slot: number, mesh: Mesh, how: 'crash' | 'stop'): void
}

export interface Workload {
  readonly instancesPerNode: number
  readonly services: number
}

interface Slot {
  readonly clock: NodeClock
  signer: Signer
  /** The identity's last incarnation, as a node's key file keeps it (see identity-store.ts). */
  incarnation: bigint | undefined
  mesh: Mesh | undefined
}

export interface ClusterDeps {
  readonly queue: EventQueue
  readonly trace: TraceHash
  readonly network: SimNetwork
  readonly codec: SharedCodec
  /** One owner directory for every replica of the run: each owner's ID and key held once. */
  readonly ownerDirectory: OwnerDirectory
  readonly random: () => number
  readonly config: MeshConfig
  readonly workload: Workload
  readonly epoch: number
  readonly listener: ClusterListener
}

export class Cluster {
  readonly #deps: ClusterDeps
  readonly #slots: Slot[] = []
  /** Meshes whose graceful stop is under way (it ends on a timer, with no frame to mark it). */
  readonly #stopping = new Set<Mesh>()

  constructor(deps: ClusterDeps) {
    this.#deps = deps
  }

  get size(): number {
    return this.#slots.length
  }

  /** Creates a machine (not yet running) with the given clock error. */
  addNode(skew: ClockSkew): number {
    const slot = this.#deps.network.addSlot()
    const clock = new NodeClock(this.#deps.queue, this.#deps.trace, slot, this.#deps.epoch, skew)
    this.#slots.push({ clock, signer: this.#newSigner(), incarnation: undefined, mesh: undefined })
    return slot
  }

  mesh(slot: number): Mesh | undefined {
    return this.#slots[slot]?.mesh
  }

  clock(slot: number): NodeClock {
    return this.#at(slot).clock
  }

  /** True while a graceful stop is under way: the runner must let its continuations run. */
  get stopping(): boolean {
    return this.#stopping.size > 0
  }

  /** Slots whose process is running. */
  liveSlots(): number[] {
    const out: number[] = []
    this.#slots.forEach((s, i) => {
      if (s.mesh?.running) out.push(i)
    })
    return out
  }

  /** Starts the process (no-op when running) and registers its workload. */
  async start(slot: number): Promise<void> {
    const s = this.#at(slot)
    if (s.mesh !== undefined) return
    const { network, codec, config, listener, ownerDirectory } = this.#deps
    s.incarnation = nextIncarnation(s.clock.now(), s.incarnation)
    const mesh = new Mesh({
      transport: network.createTransport(slot, s.signer.ownerId),
      signer: s.signer,
      incarnation: s.incarnation,
      scheduler: s.clock,
      config,
      advertisedHost: hostOf(slot),
      random: seededRandom(Math.floor(this.#deps.random() * 2 ** 32)),
      decodeFrame: codec.decodeFrame,
      openStatement: codec.openStatement,
      ownerDirectory,
    })
    s.mesh = mesh
    listener.nodeUp(slot, mesh)
    network.busy = true
    await mesh.start()
    for (const spec of workloadOf(slot, this.#deps.workload)) {
      if (s.mesh !== mesh || !mesh.running) return
      await mesh.register(spec)
    }
  }

  /** Kills the process: no tombstones, no goodbye; its timers never fire again. */
  crash(slot: number): void {
    const s = this.#at(slot)
    const mesh = s.mesh
    if (mesh === undefined) return
    s.clock.halt()
    this.#deps.network.detach(slot)
    s.mesh = undefined
    this.#stopping.delete(mesh) // a halted clock never ends its stop
    this.#deps.listener.nodeDown(slot, mesh, 'crash')
  }

  /** Stops the process gracefully: tombstones for its instances, then it leaves. */
  async stop(slot: number): Promise<void> {
    const s = this.#at(slot)
    const mesh = s.mesh
    if (mesh === undefined) return
    this.#deps.network.busy = true
    this.#stopping.add(mesh)
    await mesh.stop()
    this.#stopping.delete(mesh)
    if (s.mesh !== mesh) return // crashed or restarted while stopping
    s.clock.halt()
    s.mesh = undefined
    this.#deps.listener.nodeDown(slot, mesh, 'stop')
  }

  /** Starts a stopped or crashed process again, with its identity or a fresh one. */
  async restart(slot: number, keepIdentity: boolean): Promise<void> {
    const s = this.#at(slot)
    if (s.mesh !== undefined) this.crash(slot)
    if (!keepIdentity) {
      s.signer = this.#newSigner()
      s.incarnation = undefined
    }
    await this.start(slot)
  }

  /** Deletes every instance the process owns (signed tombstones). */
  async deregisterAll(slot: number): Promise<void> {
    const mesh = this.#at(slot).mesh
    if (mesh === undefined || !mesh.running) return
    this.#deps.network.busy = true
    for (const key of mesh.ownKeys()) {
      if (!mesh.running) return
      await mesh.deregister(key)
    }
  }

  #at(slot: number): Slot {
    const s = this.#slots[slot]
    if (s === undefined) throw new InvalidArgumentError(`no node slot ${slot}`)
    return s
  }

  #newSigner(): Signer {
    const seed = new Uint8Array(32)
    for (let i = 0; i < seed.length; i++) seed[i] = Math.floor(this.#deps.random() * 256)
    return signerFromSeed(seed)
  }
}

/** Service name of instance `i` of a node at `slot`. */
export function serviceName(index: number): string {
  return `svc-${index}`
}

function workloadOf(slot: number, workload: Workload): InstanceSpec[] {
  return Array.from({ length: workload.instancesPerNode }, (_, i) => ({
    service: serviceName((slot * workload.instancesPerNode + i) % workload.services),
    id: `i${i}`,
    addresses: [`${hostOf(slot)}:${8000 + i}`],
  }))
}

function hostOf(slot: number): string {
  return `10.${(slot >> 16) & 255}.${(slot >> 8) & 255}.${slot & 255}`
}
