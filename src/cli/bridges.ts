/**
 * The agent's `--bridge` flags: which stores to mirror the node with, in which layout.
 *
 *   --bridge etcd=http://HOST:PORT [--bridge-layout go-kit|go-micro|biregister] [--bridge-prefix /services/]
 *   --bridge zookeeper=HOST:PORT [--bridge-prefix /services]
 *   --bridge consul=http://HOST:PORT
 *
 * Layout and prefix apply to every bridge of the agent; each store kind has its default prefix
 * (etcd "/services/", ZooKeeper "/services"; go-micro's root is fixed; Consul has no prefix).
 */
import {
  type Bridge,
  type BridgeStats,
  consulBackend,
  createBridge,
  type EtcdLayoutName,
  etcdBackend,
  etcdLayout,
  type StoreBackend,
  zooKeeperBackend,
} from '../compat/bridges/index.ts'
import type { DiscoveryNode } from '../contract.ts'
import { listFlag, type ParsedArgs, splitPair, stringFlag, UsageError } from './args.ts'

export { BRIDGE_FLAGS } from './bridge-flags.ts'

const LAYOUTS: readonly EtcdLayoutName[] = ['go-kit', 'go-micro', 'biregister']

/** The backends the flags ask for, checked before anything starts. */
export function bridgeBackends(args: ParsedArgs): StoreBackend[] {
  const layout = stringFlag(args, 'bridge-layout') ?? 'go-kit'
  if (!LAYOUTS.includes(layout as EtcdLayoutName)) {
    throw new UsageError(`--bridge-layout must be one of ${LAYOUTS.join(', ')}, not "${layout}"`)
  }
  const prefix = stringFlag(args, 'bridge-prefix')
  return listFlag(args, 'bridge').map((pair) => {
    const [kind, address] = splitPair(pair, '--bridge')
    if ((kind === 'etcd' || kind === 'consul') && !/^https?:\/\/[^/]+\/?$/.test(address)) {
      throw new UsageError(`--bridge ${kind}=${address}: expected http://HOST:PORT`)
    }
    switch (kind) {
      case 'etcd':
        return etcdBackend({
          endpoints: [address],
          layout: etcdLayout(layout as EtcdLayoutName, prefix ?? '/services/'),
        })
      case 'zookeeper':
        return zooKeeperBackend({ servers: address, path: prefix ?? '/services' })
      case 'consul':
        return consulBackend({ url: address })
      default:
        throw new UsageError(
          `--bridge ${pair}: unknown store "${kind}" (etcd, zookeeper or consul)`,
        )
    }
  })
}

/** Starts one bridge per backend; `stats` feeds the status route, `close` runs before stop. */
export function startBridges(
  node: DiscoveryNode,
  mesh: string,
  backends: readonly StoreBackend[],
  onError: (store: string, err: Error) => void,
): { stats(): BridgeStats[]; close(): Promise<void> } {
  const bridges: Bridge[] = backends.map((backend) =>
    createBridge(node, { backend, mesh, onError: (err) => onError(backend.id, err) }),
  )
  return {
    stats: () => bridges.map((bridge) => bridge.stats()),
    close: async () => {
      await Promise.all(bridges.map((bridge) => bridge.close()))
    },
  }
}
