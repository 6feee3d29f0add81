/**
 * An in-process cluster for the examples and their tests: `size` meshes on one MemoryNetwork,
 * all on one VirtualScheduler, so nothing touches the real network and time only moves when
 * `settle()` moves it. In production each process builds one node on the system clock instead.
 */
import { generateSigner } from '../src/membership/identity.ts'
import { localMeshConfig } from '../src/mesh/config.ts'
import { Mesh } from '../src/mesh/mesh.ts'
import { VirtualScheduler } from '../src/mesh/scheduler.ts'
import { MemoryNetwork } from '../src/transport/memory.ts'

export interface Cluster {
  readonly scheduler: VirtualScheduler
  readonly network: MemoryNetwork
  readonly nodes: Mesh[]
  /** Moves virtual time forward by `ms` in small steps, letting promises run in between. */
  settle(ms?: number): Promise<void>
  /** Stops every node. */
  stop(): Promise<void>
}

/** Lets every pending promise callback run (one macrotask turn; no time passes). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export async function startCluster(
  size: number,
  options: { latencyMs?: number } = {},
): Promise<Cluster> {
  const scheduler = new VirtualScheduler(1_700_000_000_000)
  const network = new MemoryNetwork({ scheduler, latencyMs: options.latencyMs ?? 2 })
  const nodes = Array.from({ length: size }, (_, i) => {
    const signer = generateSigner()
    return new Mesh({
      transport: network.createTransport(signer.ownerId),
      signer,
      scheduler,
      config: localMeshConfig(),
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
