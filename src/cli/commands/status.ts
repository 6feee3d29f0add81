/** `gossip-sd status`: the agent's identity, addresses, neighbours and counters. */
import type { BridgeStats } from '../../compat/bridges/index.ts'
import type { HeartbeatSchedule } from '../../contract.ts'
import { booleanFlag, CLIENT_FLAGS, stringFlag } from '../args.ts'
import { type Command, printJson } from '../command.ts'
import { controlRequest } from '../control-client.ts'
import { clientEndpoint } from '../endpoint.ts'

interface Status {
  peerId: string
  cluster: string
  addresses: string[]
  peers: string[]
  liveNodes: string[]
  heartbeat: HeartbeatSchedule & { capacity: number }
  stats: Record<string, unknown>
  bridges?: BridgeStats[]
}

export const command: Command = {
  spec: {
    name: 'status',
    summary: "Shows the agent's peer ID, addresses, neighbours, live nodes and counters.",
    positionals: [],
    flags: { ...CLIENT_FLAGS },
  },
  async run(args) {
    const status = await controlRequest<Status>(
      clientEndpoint(stringFlag(args, 'control')),
      'GET',
      '/v1/status',
    )
    if (booleanFlag(args, 'json')) {
      printJson(status)
      return 0
    }
    const { heartbeat } = status
    const lease = heartbeat.leaseMs === 0 ? 'none' : `${heartbeat.leaseMs} ms`
    const counters = Object.entries(status.stats)
      .filter(([, value]) => typeof value === 'number')
      .map(([name, value]) => `  ${name}: ${value}`)
    process.stdout.write(
      [
        `peer ID:    ${status.peerId}`,
        `cluster:    ${status.cluster}`,
        `addresses:  ${status.addresses.join('\n            ')}`,
        `peers:      ${status.peers.length}`,
        `live nodes: ${status.liveNodes.length}`,
        `heartbeat:  every ${heartbeat.heartbeatIntervalMs} ms, lease ${lease} (capacity ${heartbeat.capacity} nodes)`,
        ...bridgeLines(status.bridges ?? []),
        'counters:',
        ...counters,
        '',
      ].join('\n'),
    )
    return 0
  },
}

/** One line per bridge: its store, state and counts. */
function bridgeLines(bridges: readonly BridgeStats[]): string[] {
  if (bridges.length === 0) return []
  return [
    'bridges:',
    ...bridges.map(
      (b) =>
        `  ${b.store}: ${b.state}, exported ${b.exported}, imported ${b.imported}, skipped ${b.skipped}, failures ${b.failures}${backendCounts(b)}${b.lastError === undefined || b.state === 'live' ? '' : ` (${b.lastError})`}`,
    ),
  ]
}

/** The backend's own counters, camelCase keys as words: ", sessions 2, protocol errors 1". */
function backendCounts(b: BridgeStats): string {
  return Object.entries(b.backend ?? {})
    .map(([key, n]) => `, ${key.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)} ${n}`)
    .join('')
}
