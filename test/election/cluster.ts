/**
 * A cluster of meshes over one MemoryNetwork and one VirtualScheduler, each node on its own
 * skewed clock, each with an election: the fixture of the election tests and properties.
 * Node i registers instance `n<i>` of each service it is asked to; crash() stops a node without
 * letting anything it sends reach the network, as kill -9 would.
 */

import type { RegistrationHandle } from '../../src/contract.ts'
import {
  type ClockSkew,
  createElection,
  type Election,
  type ElectionOptions,
  SkewedScheduler,
} from '../../src/election/index.ts'
import { signerFromSeed } from '../../src/membership/identity.ts'
import { MemoryNetwork } from '../../src/memory/memory.ts'
import { advanceUntilSettled } from '../../src/memory/memory-cluster.ts'
import { localMeshConfig, type MeshConfig } from '../../src/mesh/config.ts'
import { Mesh } from '../../src/mesh/mesh.ts'
import { VirtualScheduler } from '../../src/mesh/scheduler.ts'
import { seededRandom } from '../../src/util/random.ts'

export const EPOCH = 1_700_000_000_000

export interface ClusterOptions {
  size: number
  seed?: number
  latencyMs?: number
  jitterMs?: number
  /** Per node; missing entries get a true clock. */
  skews?: readonly ClockSkew[]
  election?: ElectionOptions
  config?: MeshConfig
}

export interface SimNode {
  readonly index: number
  readonly mesh: Mesh
  readonly clock: SkewedScheduler
  readonly election: Election
  readonly handles: Map<string, RegistrationHandle>
  crashed: boolean
}

export class Cluster {
  readonly scheduler: VirtualScheduler
  readonly net: MemoryNetwork
  readonly config: MeshConfig
  readonly nodes: SimNode[] = []

  constructor(scheduler: VirtualScheduler, net: MemoryNetwork, config: MeshConfig) {
    this.scheduler = scheduler
    this.net = net
    this.config = config
  }

  get now(): number {
    return this.scheduler.now()
  }

  live(): SimNode[] {
    return this.nodes.filter((n) => !n.crashed)
  }

  /** Advances shared time in small steps, letting promises settle between them. */
  async advance(ms: number, stepMs = 10): Promise<void> {
    const end = this.scheduler.now() + ms
    while (this.scheduler.now() < end) {
      this.scheduler.runUntil(Math.min(end, this.scheduler.now() + stepMs))
      await settle()
    }
  }

  async register(node: SimNode, service: string): Promise<RegistrationHandle> {
    const handle = await node.mesh.register({
      service,
      id: `n${node.index}`,
      addresses: [`127.0.0.1:${9000 + node.index}`],
    })
    node.handles.set(service, handle)
    return handle
  }

  /** Stops a node abruptly: it sends nothing more and its election is gone. */
  async crash(node: SimNode): Promise<void> {
    node.crashed = true
    node.election.close()
    await node.mesh.transport.stop()
    await node.mesh.stop()
  }

  /** Symmetric partition into groups of node indices (unlisted nodes form one more group). */
  partition(groups: readonly (readonly number[])[]): void {
    this.net.partition(...groups.map((g) => g.map((i) => (this.nodes[i] as SimNode).mesh.peerId)))
  }

  heal(): void {
    this.net.heal()
  }

  async stop(): Promise<void> {
    for (const node of this.live()) {
      node.election.close()
      await advanceUntilSettled(this.scheduler, node.mesh.stop())
    }
  }
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const seed = options.seed ?? 1
  const scheduler = new VirtualScheduler(EPOCH)
  const net = new MemoryNetwork({
    scheduler,
    seed,
    latencyMs: options.latencyMs ?? 2,
    jitterMs: options.jitterMs ?? 0,
  })
  const config = options.config ?? localMeshConfig()
  const cluster = new Cluster(scheduler, net, config)
  for (let index = 0; index < options.size; index++) {
    const clock = new SkewedScheduler(scheduler, options.skews?.[index] ?? {})
    const signer = signerFromSeed(seedBytes(seed, index))
    const mesh = new Mesh({
      transport: net.createTransport(signer.ownerId),
      signer,
      scheduler: clock,
      config,
      random: seededRandom(seed * 31 + index),
    })
    await mesh.start()
    const election = createElection(mesh, options.election)
    cluster.nodes.push({ index, mesh, clock, election, handles: new Map(), crashed: false })
  }
  return cluster
}

/** Lets pending promise callbacks run (no timers involved). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

function seedBytes(seed: number, index: number): Uint8Array {
  const bytes = new Uint8Array(32)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, seed >>> 0)
  view.setUint32(4, index)
  return bytes
}
