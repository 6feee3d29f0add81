/** Shared test plumbing for the compat faces: the examples' in-process cluster and a deadline. */
import type { Mesh } from '../../src/mesh/mesh.ts'

export {
  flush,
  type MemoryCluster as Cluster,
  startMemoryCluster as startCluster,
} from '../../src/memory/memory-cluster.ts'

/** Rejects if `promise` has not settled within `ms` of real time (a guard, never a wait). */
export function deadline<T>(promise: Promise<T>, ms = 2000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${ms} ms`)), ms)
  })
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer))
}

/** The two nodes of a two-node cluster, typed. */
export function pair(nodes: Mesh[]): [Mesh, Mesh] {
  return [nodes[0] as Mesh, nodes[1] as Mesh]
}
