/**
 * Scenarios as data: the cluster, its network and clocks, and a timed fault schedule. Node sets
 * are selectors resolved when the event fires, so one scenario file runs at any cluster size.
 * `parseScenario` validates untrusted JSON and throws a ScenarioError naming the bad field.
 */
import type { MeshConfig } from '../src/mesh/config.ts'
import type { ElectionMode } from './elections.ts'
import { ScenarioError } from './errors.ts'
import { type LatencySpec, validateLatency } from './latency.ts'

/**
 * A set of node slots: a fraction range of the scenario's node count ([from, to) of `nodes`),
 * explicit slots, the slot owning the current majority leader of a service, or every slot
 * whose process is down (crashed or stopped).
 */
export type NodeSelector =
  | { readonly from: number; readonly to: number }
  | { readonly slots: readonly number[] }
  | { readonly leaderOf: string }
  | { readonly down: true }

/** Link conditions as a scenario file states them (latency as a distribution). */
export interface LinkConditionsSpec {
  readonly latency?: LatencySpec
  readonly loss?: number
  readonly duplication?: number
}

/**
 * A fault the scenario injects at virtual time `at` (ms): partitions, heals, crashes, restarts,
 * joins, link and clock changes.
 */
export type FaultEvent =
  | { readonly at: number; readonly type: 'partition'; readonly groups: readonly NodeSelector[] }
  | {
      readonly at: number
      readonly type: 'one-way'
      readonly from: NodeSelector
      readonly to: NodeSelector
    }
  | { readonly at: number; readonly type: 'heal' }
  | {
      readonly at: number
      readonly type: 'flap'
      readonly nodes: NodeSelector
      readonly periodMs: number
      readonly times: number
    }
  | { readonly at: number; readonly type: 'crash'; readonly nodes: NodeSelector }
  | {
      readonly at: number
      readonly type: 'restart'
      readonly nodes: NodeSelector
      readonly keepIdentity: boolean
    }
  | { readonly at: number; readonly type: 'stop'; readonly nodes: NodeSelector }
  | {
      readonly at: number
      readonly type: 'rolling-restart'
      readonly nodes: NodeSelector
      readonly intervalMs: number
      readonly downMs: number
      readonly graceful: boolean
    }
  | {
      readonly at: number
      readonly type: 'join'
      /** New nodes as a fraction of `nodes` (at least one). */
      readonly count: number
      readonly spreadMs: number
    }
  | { readonly at: number; readonly type: 'deregister'; readonly nodes: NodeSelector }
  | { readonly at: number; readonly type: 'conditions'; readonly conditions: LinkConditionsSpec }
  | {
      readonly at: number
      readonly type: 'skew'
      readonly nodes: NodeSelector
      readonly offsetMs: number
      readonly driftPpm: number
    }

export type FaultType = FaultEvent['type']

/** The protocol timings a scenario may override. */
export type MeshTimings = Omit<MeshConfig, 'cluster' | 'limits'>

/** Nodes a join event adds: `count` is a fraction of the scenario's nodes, at least one. */
export function joinedNodes(event: { readonly count: number }, nodes: number): number {
  return Math.max(1, Math.round(event.count * nodes))
}

/** The most nodes a scenario ever has: its slots plus every join. */
export function maxNodesOf(scenario: Scenario): number {
  let total = scenario.nodes
  for (const e of scenario.events) if (e.type === 'join') total += joinedNodes(e, scenario.nodes)
  return total
}

/**
 * A simulated cluster: its size, protocol settings, network, faults and duration (see
 * sim/scenarios/*.json).
 */
export interface Scenario {
  readonly name: string
  readonly description?: string
  /** Cluster size (slots created up front, or by joins). */
  readonly nodes: number
  /** Fraction of `nodes` running at time 0. @default 1 */
  readonly initialFraction?: number
  /** Instances each node registers when it starts. */
  readonly instancesPerNode: number
  /** Distinct service names the instances spread over. */
  readonly services: number
  /** Timing preset of the Mesh config. */
  readonly preset: 'lan' | 'wan' | 'local'
  /** Overrides of preset timings. */
  readonly config?: Partial<MeshTimings>
  readonly network?: LinkConditionsSpec & {
    readonly latencySpread?: number
    readonly overlayDegree?: number
    readonly detectMs?: number
    readonly links?: readonly {
      readonly from: NodeSelector
      readonly to: NodeSelector
      readonly conditions: LinkConditionsSpec
    }[]
  }
  /** Initial clock error per node: offsets uniform in ±offsetMs, drift uniform in ±driftPpm. */
  readonly clocks?: { readonly offsetMs?: number; readonly driftPpm?: number }
  /** Nodes start spread uniformly over this window. @default 0 */
  readonly startSpreadMs?: number
  /** Virtual run length, ms. */
  readonly durationMs: number
  /** Metrics sampling period, ms. @default 100 */
  readonly sampleMs?: number
  /** Steady-state window for load figures, ms from start. @default the last 20% of the run */
  readonly loadWindowMs?: readonly [number, number]
  readonly events: readonly FaultEvent[]
  /**
   * Run the real election (src/election) on every node, in default or quorum mode (expected
   * nodes = `nodes`), and check its guarantees. @default undefined (leaders by the rule only)
   */
  readonly election?: ElectionMode
}

const FAULT_TYPES: ReadonlySet<string> = new Set<FaultType>([
  'partition',
  'one-way',
  'heal',
  'flap',
  'crash',
  'restart',
  'stop',
  'rolling-restart',
  'join',
  'deregister',
  'conditions',
  'skew',
])

/** Validates untrusted JSON as a scenario. */
export function parseScenario(value: unknown): Scenario {
  const s = record(value, 'scenario')
  str(s.name, 'name')
  int(s.nodes, 'nodes', 1, 65535)
  int(s.instancesPerNode, 'instancesPerNode', 0, 1000)
  int(s.services, 'services', 1, 10000)
  if (s.preset !== 'lan' && s.preset !== 'wan' && s.preset !== 'local')
    throw new ScenarioError('preset must be lan, wan or local')
  num(s.durationMs, 'durationMs', 1, 1e9)
  if (s.initialFraction !== undefined) num(s.initialFraction, 'initialFraction', 0, 1)
  if (s.sampleMs !== undefined) num(s.sampleMs, 'sampleMs', 1, 1e7)
  if (s.startSpreadMs !== undefined) num(s.startSpreadMs, 'startSpreadMs', 0, 1e9)
  if (s.config !== undefined) {
    for (const [k, v] of Object.entries(record(s.config, 'config'))) num(v, `config.${k}`, 1, 1e9)
  }
  if (s.network !== undefined) {
    const n = record(s.network, 'network')
    conditions(n, 'network')
    if (n.latencySpread !== undefined) num(n.latencySpread, 'network.latencySpread', 0, 0.99)
    if (n.overlayDegree !== undefined) int(n.overlayDegree, 'network.overlayDegree', 1, 1000)
    if (n.detectMs !== undefined) num(n.detectMs, 'network.detectMs', 1, 1e7)
    if (n.links !== undefined) {
      list(n.links, 'network.links').forEach((l, i) => {
        const link = record(l, `network.links[${i}]`)
        selector(link.from, `network.links[${i}].from`)
        selector(link.to, `network.links[${i}].to`)
        conditions(record(link.conditions, `network.links[${i}].conditions`), 'link')
      })
    }
  }
  if (s.clocks !== undefined) {
    const c = record(s.clocks, 'clocks')
    if (c.offsetMs !== undefined) num(c.offsetMs, 'clocks.offsetMs', 0, 1e9)
    if (c.driftPpm !== undefined) num(c.driftPpm, 'clocks.driftPpm', 0, 1e5)
  }
  if (s.loadWindowMs !== undefined) {
    const w = list(s.loadWindowMs, 'loadWindowMs')
    if (w.length !== 2) throw new ScenarioError('loadWindowMs is [start, end]')
    num(w[0], 'loadWindowMs[0]', 0, 1e9)
    num(w[1], 'loadWindowMs[1]', 0, 1e9)
  }
  for (const [i, e] of list(s.events, 'events').entries()) event(e, `events[${i}]`)
  if (s.election !== undefined) {
    const e = record(s.election, 'election')
    if (e.mode !== 'default' && e.mode !== 'quorum')
      throw new ScenarioError('election.mode must be default or quorum')
    if (e.maxClockDriftRatio !== undefined)
      num(e.maxClockDriftRatio, 'election.maxClockDriftRatio', 0, 0.49)
  }
  return value as Scenario
}

function event(value: unknown, path: string): void {
  const e = record(value, path)
  if (typeof e.type !== 'string' || !FAULT_TYPES.has(e.type))
    throw new ScenarioError(`${path}.type is not a known fault type`)
  num(e.at, `${path}.at`, 0, 1e9)
  const type = e.type as FaultType
  switch (type) {
    case 'partition':
      for (const [i, g] of list(e.groups, `${path}.groups`).entries())
        selector(g, `${path}.groups[${i}]`)
      return
    case 'one-way':
      selector(e.from, `${path}.from`)
      selector(e.to, `${path}.to`)
      return
    case 'heal':
      return
    case 'flap':
      selector(e.nodes, `${path}.nodes`)
      num(e.periodMs, `${path}.periodMs`, 1, 1e9)
      int(e.times, `${path}.times`, 1, 1e6)
      return
    case 'crash':
    case 'stop':
    case 'deregister':
      selector(e.nodes, `${path}.nodes`)
      return
    case 'restart':
      selector(e.nodes, `${path}.nodes`)
      if (typeof e.keepIdentity !== 'boolean')
        throw new ScenarioError(`${path}.keepIdentity must be true or false`)
      return
    case 'rolling-restart':
      selector(e.nodes, `${path}.nodes`)
      num(e.intervalMs, `${path}.intervalMs`, 0, 1e9)
      num(e.downMs, `${path}.downMs`, 0, 1e9)
      if (typeof e.graceful !== 'boolean')
        throw new ScenarioError(`${path}.graceful must be true or false`)
      return
    case 'join':
      num(e.count, `${path}.count`, 0, 64)
      num(e.spreadMs, `${path}.spreadMs`, 0, 1e9)
      return
    case 'conditions':
      conditions(record(e.conditions, `${path}.conditions`), path)
      return
    case 'skew':
      selector(e.nodes, `${path}.nodes`)
      num(e.offsetMs, `${path}.offsetMs`, -1e9, 1e9)
      num(e.driftPpm, `${path}.driftPpm`, -1e5, 1e5)
      return
  }
}

function selector(value: unknown, path: string): void {
  const s = record(value, path)
  if ('leaderOf' in s) {
    str(s.leaderOf, `${path}.leaderOf`)
    return
  }
  if ('down' in s) {
    if (s.down !== true) throw new ScenarioError(`${path}.down must be true`)
    return
  }
  if ('slots' in s) {
    for (const [i, v] of list(s.slots, `${path}.slots`).entries())
      int(v, `${path}.slots[${i}]`, 0, 65535)
    return
  }
  num(s.from, `${path}.from`, 0, 1)
  num(s.to, `${path}.to`, 0, 1)
}

function conditions(c: Record<string, unknown>, path: string): void {
  if (c.latency !== undefined) validateLatency(record(c.latency, `${path}.latency`) as LatencySpec)
  if (c.loss !== undefined) num(c.loss, `${path}.loss`, 0, 1)
  if (c.duplication !== undefined) num(c.duplication, `${path}.duplication`, 0, 1)
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ScenarioError(`${path} must be an object`)
  return value as Record<string, unknown>
}

function list(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new ScenarioError(`${path} must be an array`)
  return value
}

function str(value: unknown, path: string): void {
  if (typeof value !== 'string' || value === '')
    throw new ScenarioError(`${path} must be a non-empty string`)
}

function num(value: unknown, path: string, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    throw new ScenarioError(`${path} must be a number in [${min}, ${max}]`)
}

function int(value: unknown, path: string, min: number, max: number): void {
  num(value, path, min, max)
  if (!Number.isInteger(value)) throw new ScenarioError(`${path} must be an integer`)
}
