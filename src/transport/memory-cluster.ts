/**
 * An in-process cluster: `size` meshes on one MemoryNetwork and one VirtualScheduler, so nothing
 * touches the real network and time moves only when `settle()` moves it. For examples, for our
 * tests and for users' tests of code built on gossip-sd; production builds one node per process
 * on the system clock instead.
 */
import { generateSigner } from '../membership/identity.ts'
import { localMeshConfig, type MeshConfig } from '../mesh/config.ts'
import { Mesh } from '../mesh/mesh.ts'
import { VirtualScheduler } from '../mesh/scheduler.ts'
import { type LinkConditions, MemoryNetwork } from './memory.ts'

export interface MemoryCluster {
  readonly scheduler: VirtualScheduler
  readonly network: MemoryNetwork
  readonly nodes: Mesh[]
  /** Moves virtual time forward by `ms` in small steps, letting promise callbacks run in between. */
  settle(ms?: number): Promise<void>
  /** Stops every node. */
  stop(): Promise<void>
}

export interface MemoryClusterOptions extends Partial<LinkConditions> {
  /** Protocol timing. @default localMeshConfig() */
  config?: MeshConfig
  /** Seed of the network's random choices. @default 1 */
  seed?: number
  /** Virtual clock start (ms since epoch). @default 1_700_000_000_000 */
  start?: number
}

/** Lets every pending promise callback run (one macrotask turn; no virtual time passes). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export async function startMemoryCluster(
  size: number,
  options: MemoryClusterOptions = {},
): Promise<MemoryCluster> {
  const { config = localMeshConfig(), seed = 1, start = 1_700_000_000_000, ...conditions } = options
  const scheduler = new VirtualScheduler(start)
  const network = new MemoryNetwork({ latencyMs: 2, ...conditions, scheduler, seed })
  const nodes = Array.from({ length: size }, (_, i) => {
    const signer = generateSigner()
    return new Mesh({
      transport: network.createTransport(signer.ownerId),
      signer,
      scheduler,
      config,
      advertisedHost: `10.0.0.${i + 1}`,
    })
  })
  for (const node of nodes) await node.start()
  const settle = async (ms = 100): Promise<void> => {
    const step = 10
    for (let t = 0; t < ms; t += step) {
      scheduler.advance(Math.min(step, ms - t))
      await flush()
    }
  }
  await settle(50)
  return {
    scheduler,
    network,
    nodes,
    settle,
    stop: async () => {
      for (const node of nodes) await node.stop()
      await flush()
    },
  }
}
