/**
 * Protocol timing presets, all built from one base, and the heartbeat schedule for a cluster
 * size. Within the heartbeat capacity, crash removal takes at most `defaultTtlMs +
 * expiryIntervalMs` after the last heartbeat a node saw (beyond it, the lease instead of the
 * TTL); graceful removal takes one push. Heartbeats are constant-size, but every one crosses
 * the whole cluster, so their rate sets a node's idle CPU and traffic (see bench:cluster).
 *
 * Scaling. Each node receives one heartbeat per owner per interval: N / interval per second.
 * Once that would exceed `maxHeartbeatsPerSecond`, owners stretch their heartbeat interval (and
 * the anti-entropy interval, whose digests also grow with N) by the smallest power of two that
 * keeps it within the budget, and sign a lease of `defaultTtlMs` times the same factor into each
 * heartbeat, so receivers keep their instances as long relative to the interval as before.
 * Per-node load then stays flat as the cluster grows; crash removal grows with it instead. The
 * stretch stops where the lease would pass the longest TTL peers accept (`limits.maxTtlMs`).
 */
import { type MembershipLimits, resolveLimits } from '../membership/limits.ts'

/** Protocol timing and limits of a mesh; presets build it (lanMeshConfig and others). */
export interface MeshConfig {
  /** Cluster name: peers with different names ignore each other. @default 'default' */
  cluster: string
  /**
   * How often this node signs a heartbeat refreshing all its instances. Every heartbeat crosses
   * the whole cluster, so this sets the idle cost; a third of the TTL tolerates two lost in a
   * row. @default 1000
   */
  heartbeatIntervalMs: number
  /** TTL given to registrations that do not set one: crash detection time. @default 3000 */
  defaultTtlMs: number
  /** How often to run anti-entropy with one random neighbour (it also runs on every new connection). @default 5000 */
  antiEntropyIntervalMs: number
  /** How often expired records are swept. @default 100 */
  expiryIntervalMs: number
  /** Shortest gap between two syncs with one neighbour triggered by an out-of-sync heartbeat. @default 250 */
  syncBackoffMs: number
  /** How long an owner's incarnation floor is remembered after it was last heard. @default 600000 */
  ownerRetentionMs: number
  /**
   * How long `stop()` waits for neighbours to confirm they hold its tombstones (see leave.ts).
   * Waiting past the TTL gains nothing: by then receivers expire the instances anyway. @default 3000
   */
  leaveTimeoutMs: number
  /**
   * Heartbeats per second a node should receive at most: beyond `maxHeartbeatsPerSecond ×
   * heartbeatIntervalMs / 1000` nodes, intervals stretch and leases extend (see above). @default 50
   */
  maxHeartbeatsPerSecond: number
  /**
   * Bytes of anti-entropy answers each neighbour gets per second, after `replyBurstBytes`
   * (reply-budget.ts): a small request must not pull answers thousands of times larger, over
   * and over. @default 1048576 (1 MiB/s)
   */
  replyBytesPerSecond: number
  /** Bytes of answers a neighbour gets at once (its first exchange: the whole state). @default 16777216 */
  replyBurstBytes: number
  /** Input bounds; see MembershipLimits. */
  limits: Partial<MembershipLimits>
}

/** What an owner does for a given cluster size. */
export interface HeartbeatSchedule {
  readonly heartbeatIntervalMs: number
  readonly antiEntropyIntervalMs: number
  /** Lease signed into heartbeats: 0 while the interval is the configured one. */
  readonly leaseMs: number
}

/** How many nodes the configured heartbeat interval serves within the per-node budget. */
export function heartbeatCapacity(config: MeshConfig): number {
  return Math.floor((config.maxHeartbeatsPerSecond * config.heartbeatIntervalMs) / 1000)
}

/** The schedule for a cluster of `nodes` live nodes (as this node counts them). */
export function heartbeatSchedule(config: MeshConfig, nodes: number): HeartbeatSchedule {
  const load = (nodes * 1000) / (config.heartbeatIntervalMs * config.maxHeartbeatsPerSecond)
  const wanted = load > 1 ? 2 ** Math.ceil(Math.log2(load)) : 1
  const leaseFits = resolveLimits(config.limits).maxTtlMs / config.defaultTtlMs
  const stretch = Math.min(wanted, 2 ** Math.floor(Math.log2(Math.max(1, leaseFits))))
  return {
    heartbeatIntervalMs: config.heartbeatIntervalMs * stretch,
    antiEntropyIntervalMs: config.antiEntropyIntervalMs * stretch,
    leaseMs: stretch === 1 ? 0 : config.defaultTtlMs * stretch,
  }
}

/** The base every preset starts from: a LAN of up to a few hundred nodes. */
export function defaultMeshConfig(): MeshConfig {
  return {
    cluster: 'default',
    heartbeatIntervalMs: 1000,
    defaultTtlMs: 3000,
    antiEntropyIntervalMs: 5000,
    expiryIntervalMs: 100,
    syncBackoffMs: 250,
    ownerRetentionMs: 600_000,
    leaveTimeoutMs: 3000,
    maxHeartbeatsPerSecond: 50,
    replyBytesPerSecond: 1024 * 1024,
    replyBurstBytes: 16 * 1024 * 1024,
    limits: {},
  }
}

/** Same machine or one switch: the base. */
export function lanMeshConfig(overrides: Partial<MeshConfig> = {}): MeshConfig {
  return { ...defaultMeshConfig(), ...overrides }
}

/** Higher and variable latency: slower heartbeats and longer TTLs so delays do not expire live records. */
export function wanMeshConfig(overrides: Partial<MeshConfig> = {}): MeshConfig {
  return {
    ...defaultMeshConfig(),
    heartbeatIntervalMs: 2000,
    defaultTtlMs: 15_000,
    antiEntropyIntervalMs: 15_000,
    expiryIntervalMs: 500,
    syncBackoffMs: 1000,
    leaveTimeoutMs: 10_000,
    ...overrides,
  }
}

/** One host (tests, demos): the fastest settings that still tolerate a busy machine. */
export function localMeshConfig(overrides: Partial<MeshConfig> = {}): MeshConfig {
  return {
    ...defaultMeshConfig(),
    heartbeatIntervalMs: 250,
    defaultTtlMs: 1500,
    antiEntropyIntervalMs: 2000,
    expiryIntervalMs: 50,
    syncBackoffMs: 100,
    leaveTimeoutMs: 1500,
    maxHeartbeatsPerSecond: 200,
    ...overrides,
  }
}
