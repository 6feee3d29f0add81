/**
 * libp2p timing presets for the node, built from one base like the mesh presets
 * (src/mesh/config.ts). A preset name picks both: `lan` (the default), `wan` and `local`.
 *
 * Latency and load: gossipsub forwards a message the moment it arrives, so a change reaches
 * every node in (hops × one TCP write and one signature check). Every mesh peer adds a duplicate
 * copy of every message (heartbeats included) to receive, decrypt, hash and drop, and that is
 * most of what an idle node spends. Degree 3 (gossipsub's default is 6) reaches 20 nodes in about
 * three hops at half the cost; with 20 agents on one 2-core host, degree 4 and connections
 * to 6–10 peers each cost a third more CPU than 3 and 4–5 (bench:cluster), and lost copies are
 * anti-entropy's to repair. Liveness is the mesh's business (heartbeats, TTLs), so
 * connection-level probes are lenient: on a starved host a slow ping must not tear down links.
 */
import { lanMeshConfig, localMeshConfig, type MeshConfig, wanMeshConfig } from '../mesh/config.ts'

/** Timing presets: `lan` (default), `wan`, `local` (one host, fast timers). */
export type PresetName = 'lan' | 'wan' | 'local'

/** The preset names, for validation and help text. */
export const PRESET_NAMES: readonly PresetName[] = ['lan', 'wan', 'local']

/** libp2p settings a preset chooses: gossipsub degrees, connection limits, timeouts. */
export interface Libp2pTuning {
  /** Gossipsub target mesh degree: peers each message is forwarded to. @default 3 (gossipsub: 6) */
  meshDegree: number
  /** Gossipsub lower bound before grafting more peers. @default 2 */
  meshDegreeLow: number
  /** Gossipsub upper bound before pruning (pruned peers get peer exchange). @default 4 */
  meshDegreeHigh: number
  /** Gossipsub heartbeat: mesh repair and lazy gossip (IHAVE) period. @default 1000 (ms) */
  gossipHeartbeatMs: number
  /**
   * Peers sent lazy gossip (IHAVE: ids of recent messages) each gossipsub heartbeat. Anti-entropy
   * already repairs losses, so a little is enough. @default 3 (gossipsub: max(6, 25 % of peers))
   */
  lazyGossipDegree: number
  /** Gossipsub heartbeats of history each IHAVE announces. @default 1 (gossipsub: 3; IHAVE was most idle traffic) */
  lazyGossipWindows: number
  /** How long a message id is remembered to drop duplicates. @default 30000 (ms; outlives any hop delay) */
  seenTtlMs: number
  /** Delay before dialling the bootstrap list after start. @default 0 (ms; nothing to wait for) */
  bootstrapDelayMs: number
  /** mDNS query period: how fast a new or returning LAN peer is found. @default 5000 (ms) */
  mdnsIntervalMs: number
  /** Dial timeout per peer. @default 5000 (ms) */
  dialTimeoutMs: number
  /**
   * Liveness ping period on every connection. Each ping opens a stream (a protocol negotiation),
   * so on a node with many connections frequent pings cost more than heartbeats; node liveness
   * is the TTL's job, and a dead link only delays anti-entropy on reconnect. @default 10000 (ms)
   */
  pingIntervalMs: number
  /** Shortest ping timeout before a connection is aborted (adaptive above it). @default 10000 (ms) */
  pingTimeoutMs: number
  /**
   * How often remembered peers without a connection are considered for a dial (peer-keeper.ts).
   * @default 2000 (ms)
   */
  redialIntervalMs: number
  /**
   * Connections a node opens itself while it has fewer, and the peers it passes on when it
   * prunes one from its gossipsub mesh. Inbound connections are not limited by it. @default 3
   */
  targetPeers: number
  /** Connection cap: beyond it libp2p prunes the least valuable connections. @default 200 */
  maxConnections: number
}

/** The base every preset starts from: one LAN, up to a few hundred nodes. */
export function baseLibp2pTuning(): Libp2pTuning {
  return {
    meshDegree: 3,
    meshDegreeLow: 2,
    meshDegreeHigh: 4,
    gossipHeartbeatMs: 1000,
    lazyGossipDegree: 3,
    lazyGossipWindows: 1,
    seenTtlMs: 30_000,
    bootstrapDelayMs: 0,
    mdnsIntervalMs: 5000,
    dialTimeoutMs: 5000,
    pingIntervalMs: 10_000,
    pingTimeoutMs: 10_000,
    redialIntervalMs: 2000,
    targetPeers: 3,
    maxConnections: 200,
  }
}

/** Higher, variable latency: slower probes so a slow link is not mistaken for a dead one. */
export function wanLibp2pTuning(): Libp2pTuning {
  return {
    ...baseLibp2pTuning(),
    dialTimeoutMs: 15_000,
    pingIntervalMs: 30_000,
    pingTimeoutMs: 30_000,
    redialIntervalMs: 10_000,
    mdnsIntervalMs: 10_000,
  }
}

/** One host (tests, demos): quick probes, quick rediscovery. */
export function localLibp2pTuning(): Libp2pTuning {
  return {
    ...baseLibp2pTuning(),
    mdnsIntervalMs: 1000,
    dialTimeoutMs: 2000,
    pingIntervalMs: 5000,
    redialIntervalMs: 1000,
  }
}

export interface NodePreset {
  readonly mesh: MeshConfig
  readonly libp2p: Libp2pTuning
}

/** The mesh and libp2p settings of one preset, with mesh overrides applied. */
export function nodePreset(name: PresetName, overrides: Partial<MeshConfig> = {}): NodePreset {
  switch (name) {
    case 'lan':
      return { mesh: lanMeshConfig(overrides), libp2p: baseLibp2pTuning() }
    case 'wan':
      return { mesh: wanMeshConfig(overrides), libp2p: wanLibp2pTuning() }
    case 'local':
      return { mesh: localMeshConfig(overrides), libp2p: localLibp2pTuning() }
  }
}
