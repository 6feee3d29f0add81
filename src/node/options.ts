/**
 * Options of `createNode`, their defaults and their validation. Bad options throw
 * `InvalidNodeOptionError` before anything is opened, so a misconfigured node never half-starts.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidArgumentError } from '../membership/errors.ts'
import { resolveLimits } from '../membership/limits.ts'
import { heartbeatCapacity, type MeshConfig } from '../mesh/config.ts'
import { type Libp2pTuning, PRESET_NAMES, type PresetName } from './presets.ts'

/** An option of `createNode` that is missing, malformed or contradicts another. */
export class InvalidNodeOptionError extends InvalidArgumentError {
  readonly option: string
  constructor(option: string, message: string) {
    super(`${option}: ${message}`)
    this.option = option
  }
}

/** Options of createNode. Every one is validated before anything opens. */
export interface NodeOptions {
  /** Cluster name: nodes gossip only with their own cluster. Letters, digits, `-`, `_`. @default 'default' */
  cluster?: string
  /** Multiaddrs to listen on. @default ['/ip4/0.0.0.0/tcp/0'] */
  listen?: string[]
  /** Multiaddrs (with /p2p/ peer IDs) dialled at start. @default [] */
  bootstrap?: string[]
  /** Find peers on the LAN with mDNS multicast. @default true */
  mdns?: boolean
  /** Path of a libp2p pre-shared key (swarm.key format): only holders of it can connect. */
  pskFile?: string
  /** The pre-shared key itself (swarm.key file contents); exclusive with `pskFile`. */
  psk?: Uint8Array
  /**
   * Path of this node's libp2p private key, created (mode 0600) if missing, so the peer ID
   * survives restarts. The last incarnation is kept next to it (`<keyFile>.incarnation`).
   * @default a fresh identity per run
   */
  keyFile?: string
  /** Timing preset for the mesh and libp2p. @default 'lan' */
  preset?: PresetName
  /** Overrides of the preset's mesh settings (heartbeat, TTL, anti-entropy period, limits). */
  config?: Partial<Omit<MeshConfig, 'cluster'>>
  /** Overrides of the preset's libp2p settings. */
  libp2p?: Partial<Libp2pTuning>
  /**
   * Host peers reach this node's services at (expands port-only addresses like ':8080').
   * @default the first listen host that is not a wildcard, else the first external IPv4, else 127.0.0.1
   */
  advertisedHost?: string
}

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/

/** Throws InvalidNodeOptionError for the first bad option. */
export function validateNodeOptions(options: NodeOptions): void {
  if (options === null || typeof options !== 'object')
    throw new InvalidNodeOptionError('options', 'createNode takes an options object')
  if (options.cluster !== undefined && !CLUSTER_NAME.test(options.cluster))
    throw new InvalidNodeOptionError(
      'cluster',
      `"${String(options.cluster)}" is not 1-40 letters, digits, "-" or "_"`,
    )
  for (const [name, list] of [
    ['listen', options.listen],
    ['bootstrap', options.bootstrap],
  ] as const) {
    if (list === undefined) continue
    if (!Array.isArray(list)) throw new InvalidNodeOptionError(name, 'must be a list of multiaddrs')
    for (const address of list) checkMultiaddr(name, address, name === 'bootstrap')
  }
  if (options.listen !== undefined && options.listen.length === 0)
    throw new InvalidNodeOptionError('listen', 'needs at least one address')
  if (options.preset !== undefined && !PRESET_NAMES.includes(options.preset))
    throw new InvalidNodeOptionError('preset', `must be one of ${PRESET_NAMES.join(', ')}`)
  if (options.psk !== undefined && options.pskFile !== undefined)
    throw new InvalidNodeOptionError('psk', 'give either psk or pskFile, not both')
  if (options.psk !== undefined && !(options.psk instanceof Uint8Array))
    throw new InvalidNodeOptionError('psk', 'must be the bytes of a swarm key')
  const heartbeat = options.config?.heartbeatIntervalMs
  if (heartbeat !== undefined && !(Number.isInteger(heartbeat) && heartbeat >= 10))
    throw new InvalidNodeOptionError(
      'config.heartbeatIntervalMs',
      'must be a whole number ≥ 10 (ms)',
    )
  for (const name of ['pskFile', 'keyFile', 'advertisedHost'] as const) {
    const value = options[name]
    if (value !== undefined && (typeof value !== 'string' || value === ''))
      throw new InvalidNodeOptionError(name, 'must be a non-empty string')
  }
}

function checkMultiaddr(option: string, address: unknown, needsPeerId: boolean): void {
  if (typeof address !== 'string')
    throw new InvalidNodeOptionError(option, 'addresses are multiaddr strings')
  let parsed: ReturnType<typeof multiaddr>
  try {
    parsed = multiaddr(address)
  } catch (err) {
    throw new InvalidNodeOptionError(
      option,
      `"${address}" is not a multiaddr (${err instanceof Error ? err.message : String(err)})`,
    )
  }
  if (!needsPeerId) return
  if (!parsed.protoNames().includes('p2p'))
    throw new InvalidNodeOptionError(option, `"${address}" has no /p2p/<peer id> part`)
  const peerId = parsed.getPeerId()
  try {
    if (peerId === null) throw new Error('it does not decode')
    peerIdFromString(peerId)
  } catch (err) {
    throw new InvalidNodeOptionError(
      option,
      `"${address}" has a bad peer ID (${err instanceof Error ? err.message : String(err)})`,
    )
  }
}

const TIMINGS = [
  'heartbeatIntervalMs',
  'defaultTtlMs',
  'antiEntropyIntervalMs',
  'expiryIntervalMs',
  'syncBackoffMs',
  'ownerRetentionMs',
  'leaveTimeoutMs',
  'maxHeartbeatsPerSecond',
] as const

/**
 * Throws InvalidNodeOptionError when the mesh settings (a preset with overrides) cannot work:
 * a zero or fractional interval or budget, a TTL the limits refuse, a heartbeat that cannot
 * keep its own TTL alive (one lost heartbeat must not expire the owner: at most half the TTL),
 * or a heartbeat budget that serves no node at all.
 */
export function validateMeshTiming(config: MeshConfig): void {
  for (const name of TIMINGS) {
    const value = config[name]
    if (!(Number.isSafeInteger(value) && value >= 1))
      throw new InvalidNodeOptionError(`config.${name}`, `must be a whole number ≥ 1, not ${value}`)
  }
  const { minTtlMs, maxTtlMs } = resolveLimits(config.limits)
  const ttl = config.defaultTtlMs
  if (ttl < minTtlMs || ttl > maxTtlMs)
    throw new InvalidNodeOptionError(
      'config.defaultTtlMs',
      `${ttl} ms is outside [${minTtlMs}, ${maxTtlMs}] ms`,
    )
  if (config.heartbeatIntervalMs * 2 > ttl)
    throw new InvalidNodeOptionError(
      'config.heartbeatIntervalMs',
      `a heartbeat every ${config.heartbeatIntervalMs} ms does not fit the ${ttl} ms TTL (at most half of it, so one lost heartbeat does not expire the node)`,
    )
  if (heartbeatCapacity(config) < 1)
    throw new InvalidNodeOptionError(
      'config.maxHeartbeatsPerSecond',
      `${config.maxHeartbeatsPerSecond} heartbeats per second cannot serve one node beating every ${config.heartbeatIntervalMs} ms`,
    )
}
