/**
 * An in-process cluster: `size` meshes on one MemoryNetwork and one VirtualScheduler, so nothing
 * touches the real network and time moves only when `settle()` moves it. For examples, for our
 * tests and for users' tests of code built on gossip-sd; production builds one node per process
 * on the system clock instead.
 */
import { GossipSdError } from '../membership/errors.ts'
import { generateSigner } from '../membership/identity.ts'
import { localMeshConfig, type MeshConfig } from '../mesh/config.ts'
import { Mesh } from '../mesh/mesh.ts'
import { VirtualScheduler } from '../mesh/scheduler.ts'
import { type LinkConditions, MemoryNetwork } from './memory.ts'

/** A started in-memory cluster: the clock, the network and its nodes. */
export interface MemoryCluster {
  readonly scheduler: VirtualScheduler
  readonly network: MemoryNetwork
  readonly nodes: Mesh[]
  /** Moves virtual time forward by `ms` in small steps, letting promise callbacks run in between. */
  settle(ms?: number): Promise<void>
  /**
   * Awaits `work` that waits on the network (a node's `stop()`, which waits for its neighbours'
   * confirmations) while moving virtual time forward as `settle` does. Rejects with
   * StillPendingError when `work` is still pending after `limitMs` of virtual time.
   * @default limitMs 60000
   */
  run<T>(work: Promise<T>, limitMs?: number): Promise<T>
  /** Stops every node, moving virtual time while each waits for confirmations. */
  stop(): Promise<void>
}

/** A promise given to `MemoryCluster.run` did not settle within its limit of virtual time. */
export class StillPendingError extends GossipSdError<'ERR_STILL_PENDING'> {
  constructor(limitMs: number) {
    super('ERR_STILL_PENDING', `still pending after ${limitMs} ms of virtual time`)
  }
}

/** Virtual time `settle` and `run` move per step, between turns of the event loop. */
const SETTLE_STEP_MS = 10

/** Options of startMemoryCluster: link conditions, protocol timing and seed. */
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

/**
 * Awaits `work` while moving `scheduler` forward in small steps, letting promise callbacks run
 * between them: for work that waits on a network driven by virtual time. Rejects with
 * StillPendingError when `work` is still pending after `limitMs` of virtual time.
 */
export async function advanceUntilSettled<T>(
  scheduler: VirtualScheduler,
  work: Promise<T>,
  limitMs = 60_000,
): Promise<T> {
  let settled = false
  const watched = work.finally(() => {
    settled = true
  })
  // A rejection surfaces through `watched`, awaited below.
  watched.catch(() => undefined)
  await flush()
  for (let t = 0; !settled; t += SETTLE_STEP_MS) {
    if (t >= limitMs) throw new StillPendingError(limitMs)
    scheduler.advance(SETTLE_STEP_MS)
    await flush()
  }
  return watched
}

/** Starts `size` meshes on one in-memory network and one virtual clock. */
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
    for (let t = 0; t < ms; t += SETTLE_STEP_MS) {
      scheduler.advance(Math.min(SETTLE_STEP_MS, ms - t))
      await flush()
    }
  }
  const run = <T>(work: Promise<T>, limitMs?: number): Promise<T> =>
    advanceUntilSettled(scheduler, work, limitMs)
  await settle(50)
  return {
    scheduler,
    network,
    nodes,
    settle,
    run,
    stop: async () => {
      for (const node of nodes) await run(node.stop())
    },
  }
}
