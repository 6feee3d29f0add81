/**
 * The agent's `--bridge` flags (see bridges.ts), apart from the bridges themselves: the agent
 * loads the bridge modules (etcd's gRPC client, the ZooKeeper client, Consul's: about 50 MiB
 * and half a second at start) only when one of these flags is given.
 */
import type { FlagSpec, ParsedArgs } from './args.ts'

export const BRIDGE_FLAGS: Readonly<Record<string, FlagSpec>> = {
  bridge: {
    type: 'string',
    multiple: true,
    placeholder: 'STORE=ADDRESS',
    help: 'mirror the mesh with a store both ways: etcd=http://HOST:PORT, zookeeper=HOST:PORT or consul=http://HOST:PORT',
  },
  'bridge-layout': {
    type: 'string',
    placeholder: 'go-kit|go-micro|biregister',
    help: 'how Go code lays instances out in etcd (default go-kit)',
  },
  'bridge-prefix': {
    type: 'string',
    placeholder: 'PREFIX',
    help: 'etcd key prefix (default /services/) or ZooKeeper path (default /services)',
  },
}

/** True when any bridge flag is given: the bridge modules are needed. */
export function wantsBridges(args: ParsedArgs): boolean {
  return Object.keys(BRIDGE_FLAGS).some((name) => args.values[name] !== undefined)
}
