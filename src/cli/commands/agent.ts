/** `gossip-sd agent`: runs a node, its control endpoint and its output until SIGTERM or SIGINT. */

import { type InstanceSpec, resolveLimits, validateInstance } from '../../contract.ts'
import {
  createNode,
  InvalidNodeOptionError,
  type NodeOptions,
  PRESET_NAMES,
  type PresetName,
} from '../../node/index.ts'
import { ndjsonOutput, tableOutput } from '../agent-output.ts'
import {
  booleanFlag,
  integerFlag,
  listFlag,
  type ParsedArgs,
  splitPair,
  stringFlag,
  UsageError,
} from '../args.ts'
import { BRIDGE_FLAGS, wantsBridges } from '../bridge-flags.ts'
import type { Command } from '../command.ts'
import { startControlServer } from '../control-server.ts'
import { defaultEndpoint, formatEndpoint, parseEndpoint } from '../endpoint.ts'

export const command: Command = {
  spec: {
    name: 'agent',
    summary: 'Runs a discovery node and shows the live service table.',
    positionals: [],
    flags: {
      cluster: { type: 'string', placeholder: 'NAME', help: 'cluster name (default "default")' },
      listen: {
        type: 'string',
        multiple: true,
        placeholder: 'MULTIADDR',
        help: 'listen address (default /ip4/0.0.0.0/tcp/0)',
      },
      bootstrap: {
        type: 'string',
        multiple: true,
        placeholder: 'MULTIADDR',
        help: 'peer to dial at start, with /p2p/<peer id>',
      },
      'psk-file': { type: 'string', placeholder: 'PATH', help: 'pre-shared key file (swarm.key)' },
      'key-file': {
        type: 'string',
        placeholder: 'PATH',
        help: 'identity key file, created if missing (keeps the peer ID across restarts)',
      },
      'no-mdns': { type: 'boolean', help: 'do not discover peers with mDNS multicast' },
      preset: { type: 'string', placeholder: 'lan|wan|local', help: 'timing preset (default lan)' },
      ttl: {
        type: 'string',
        placeholder: 'MS',
        help: 'default registration TTL (crash detection time)',
      },
      heartbeat: {
        type: 'string',
        placeholder: 'MS',
        help: 'heartbeat interval (default: the preset; keep it well under --ttl)',
      },
      'heartbeat-budget': {
        type: 'string',
        placeholder: 'N',
        help: 'heartbeats per second a node receives at most; larger clusters space heartbeats out and extend leases (default 50)',
      },
      advertise: { type: 'string', placeholder: 'HOST', help: 'host peers reach this node at' },
      register: {
        type: 'string',
        multiple: true,
        placeholder: 'NAME=ADDRESS',
        help: 'announce a service instance (its id is the address)',
      },
      control: {
        type: 'string',
        placeholder: 'ENDPOINT',
        help: 'control endpoint: unix socket path or 127.0.0.1:PORT (default: a socket in the temp dir)',
      },
      json: {
        type: 'boolean',
        help: 'write NDJSON events (ready, changes, peers) instead of the table',
      },
      ...BRIDGE_FLAGS,
    },
  },
  run: runAgent,
}

function nodeOptions(args: ParsedArgs): NodeOptions {
  const preset = stringFlag(args, 'preset')
  if (preset !== undefined && !PRESET_NAMES.includes(preset as PresetName))
    throw new UsageError(`--preset must be one of ${PRESET_NAMES.join(', ')}, not "${preset}"`)
  const ttl = integerFlag(args, 'ttl')
  const heartbeat = integerFlag(args, 'heartbeat')
  const heartbeatBudget = integerFlag(args, 'heartbeat-budget')
  const options: NodeOptions = {
    listen: listFlag(args, 'listen').length > 0 ? listFlag(args, 'listen') : undefined,
    bootstrap: listFlag(args, 'bootstrap'),
    mdns: !booleanFlag(args, 'no-mdns'),
    cluster: stringFlag(args, 'cluster'),
    pskFile: stringFlag(args, 'psk-file'),
    keyFile: stringFlag(args, 'key-file'),
    preset: preset as PresetName | undefined,
    advertisedHost: stringFlag(args, 'advertise'),
    config: {
      ...(ttl === undefined ? {} : { defaultTtlMs: ttl }),
      ...(heartbeat === undefined ? {} : { heartbeatIntervalMs: heartbeat }),
      ...(heartbeatBudget === undefined ? {} : { maxHeartbeatsPerSecond: heartbeatBudget }),
    },
  }
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as NodeOptions
}

/** `--register NAME=ADDRESS` flags as instance specs, each checked as the node would. */
function registrationSpecs(args: ParsedArgs, options: NodeOptions): InstanceSpec[] {
  const limits = resolveLimits(options.config?.limits)
  return listFlag(args, 'register').map((pair) => {
    const [service, address] = splitPair(pair, '--register')
    const spec = { service, id: address, addresses: [address] }
    try {
      validateInstance(spec, limits)
    } catch (err) {
      throw new UsageError(`--register ${pair}: ${err instanceof Error ? err.message : err}`)
    }
    return spec
  })
}

/** Said on stderr and in the ready line: a node without a pre-shared key admits anyone. */
function warnings(options: NodeOptions): string[] {
  if (options.pskFile !== undefined) return []
  return [
    'no pre-shared key (--psk-file): any host that can reach this node may join the cluster and read and announce services',
  ]
}

/** What an agent without --bridge runs beside its node. */
const NO_BRIDGES = { stats: () => [], close: async () => undefined }

async function runAgent(args: ParsedArgs): Promise<number> {
  const options = nodeOptions(args)
  const registrations = registrationSpecs(args, options)
  const bridgeModule = wantsBridges(args) ? await import('../bridges.ts') : undefined
  const backends = bridgeModule?.bridgeBackends(args) ?? []
  const controlFlag = stringFlag(args, 'control')
  const endpoint =
    controlFlag === undefined
      ? defaultEndpoint(options.cluster ?? 'default', process.pid)
      : parseEndpoint(controlFlag)
  let node: Awaited<ReturnType<typeof createNode>>
  try {
    node = await createNode(options)
  } catch (err) {
    if (err instanceof InvalidNodeOptionError) throw new UsageError(err.message)
    throw err
  }
  const output = booleanFlag(args, 'json')
    ? ndjsonOutput((line) => process.stdout.write(line))
    : tableOutput(node, process.stdout)
  // Changes and neighbours can arrive while the control endpoint starts: held until the ready
  // line is out (it comes first), never lost.
  const held: Array<() => void> = []
  let isReady = false
  const deliver = (emit: () => void): void => {
    if (isReady) emit()
    else held.push(emit)
  }
  node.subscribe((changes) => deliver(() => output.changes(changes)))
  node.onPeerEvent((event) => deliver(() => output.peer(event)))
  const bridges =
    bridgeModule?.startBridges(node, node.cluster, backends, (store, err) =>
      process.stderr.write(`gossip-sd agent: bridge ${store}: ${err.message} (retrying)\n`),
    ) ?? NO_BRIDGES
  let control: Awaited<ReturnType<typeof startControlServer>>
  try {
    control = await startControlServer(node, endpoint, {}, { bridges: () => bridges.stats() })
  } catch (err) {
    await bridges.close().catch(() => undefined)
    await node.stop().catch(() => undefined)
    const reason = err instanceof Error ? err.message : String(err)
    throw new UsageError(`cannot serve control endpoint ${formatEndpoint(endpoint)}: ${reason}`)
  }
  const stopped = new Promise<number>((resolve) => {
    let stopping = false
    const stop = (): void => {
      if (stopping) return
      stopping = true
      bridges
        .close()
        .then(() => node.stop())
        .then(() => control.close())
        .then(
          () => resolve(0),
          () => resolve(1),
        )
        .finally(() => output.close())
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
  const warned = warnings(options)
  for (const warning of warned) process.stderr.write(`gossip-sd agent: warning: ${warning}\n`)
  output.ready({
    peerId: node.peerId,
    addresses: node.addresses(),
    control: formatEndpoint(control.endpoint),
    warnings: warned,
  })
  isReady = true
  for (const emit of held.splice(0)) emit()
  for (const spec of registrations) await node.register(spec)
  return stopped
}
