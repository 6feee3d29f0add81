/**
 * Runs one scenario: builds the virtual clock, the network, the processes (real `Mesh`es) and
 * the observers, schedules starts, faults and samples, then drives the event queue to the end.
 *
 * Determinism: every random choice comes from seeded streams, the queue orders events by
 * (time, insertion), and promise continuations of the protocol driver (a multi-frame send, the
 * next registration after `await register`) are drained after every queue bucket in which a
 * node handed a frame over, and after every event while a graceful stop is under way (it can
 * end on a timer alone), before virtual time moves on. So a run is a pure function of
 * (scenario, seed), and the trace hash checks that event for event.
 */

import { OwnerDirectory } from '../src/membership/owner-directory.ts'
import {
  heartbeatSchedule,
  lanMeshConfig,
  localMeshConfig,
  type MeshConfig,
  wanMeshConfig,
} from '../src/mesh/config.ts'
import { seededRandom } from '../src/util/random.ts'
import type { ClockSkew } from './clock.ts'
import { Cluster, type ClusterListener, serviceName } from './cluster.ts'
import { SharedCodec } from './codec-cache.ts'
import { networkOptions, toConditions } from './conditions.ts'
import { ElectionMonitor } from './elections.ts'
import { FaultInjector } from './faults.ts'
import { SimNetwork } from './network.ts'
import { Observer } from './observer.ts'
import { EventQueue } from './queue.ts'
import { Sampler } from './sampler.ts'
import { maxNodesOf, type NodeSelector, type Scenario } from './scenario.ts'
import { type SimSummary, summarize } from './summary.ts'
import { TraceHash } from './trace.ts'

/** Virtual time 0 of every run, as a wall-clock-like epoch (ms). */
export const SIM_EPOCH = 1_700_000_000_000

/** How to run a scenario: the seed of every random choice, and a progress callback. */
export interface RunOptions {
  readonly seed: number
  /** Called now and then with the fraction of virtual time done. */
  readonly onProgress?: (fraction: number) => void
}

/** The mesh configuration a scenario runs with: its preset with its overrides. */
export function meshConfigOf(scenario: Scenario): MeshConfig {
  const overrides = { cluster: `sim-${scenario.name}`, ...scenario.config }
  switch (scenario.preset) {
    case 'wan':
      return wanMeshConfig(overrides)
    case 'local':
      return localMeshConfig(overrides)
    case 'lan':
      return lanMeshConfig(overrides)
  }
}

/**
 * Runs a scenario on virtual time to its end and summarises it. The same seed gives the same run.
 */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<SimSummary> {
  const wallStart = performance.now()
  const seed = options.seed >>> 0
  const queue = new EventQueue(SIM_EPOCH)
  const trace = new TraceHash()
  const config = meshConfigOf(scenario)
  const network = new SimNetwork(
    queue,
    trace,
    seededRandom(seed ^ 0x5eed0001),
    networkOptions(scenario),
  )
  const codec = new SharedCodec()
  const clusterRandom = seededRandom(seed ^ 0x5eed0002)
  const clockRandom = seededRandom(seed ^ 0x5eed0003)
  const maxDriftPpm = Math.max(
    scenario.clocks?.driftPpm ?? 0,
    ...scenario.events.map((e) => (e.type === 'skew' ? Math.abs(e.driftPpm) : 0)),
  )
  // A crashed node's instances live their TTL, or the lease its heartbeats carried.
  const lifetime = Math.max(
    config.defaultTtlMs,
    heartbeatSchedule(config, maxNodesOf(scenario)).leaseMs,
  )
  const expiryBound = (lifetime + config.expiryIntervalMs) * (1 + (2 * maxDriftPpm) / 1e6) + 1000
  const now = () => queue.now - SIM_EPOCH
  const observer = new Observer(now, expiryBound)
  const elections =
    scenario.election === undefined
      ? undefined
      : new ElectionMonitor(scenario.election, scenario.nodes, now)
  const listener: ClusterListener =
    elections === undefined
      ? observer
      : {
          nodeUp: (slot, mesh) => {
            observer.nodeUp(slot, mesh)
            elections.nodeUp(slot, mesh)
          },
          nodeDown: (slot, mesh, how) => {
            elections.nodeDown(slot, mesh)
            observer.nodeDown(slot, mesh, how)
          },
        }
  const cluster = new Cluster({
    queue,
    trace,
    network,
    codec,
    ownerDirectory: new OwnerDirectory(),
    random: clusterRandom,
    config,
    workload: scenario,
    epoch: SIM_EPOCH,
    listener,
  })
  const services = Array.from({ length: scenario.services }, (_, i) => serviceName(i))
  const sampler =
    elections === undefined
      ? new Sampler(observer, network.counters, services)
      : new Sampler(observer, network.counters, services, (slot, _view, service) =>
          elections.leaderKey(slot, service),
        )
  const failures: unknown[] = []
  const spawn = (work: Promise<void>): void => {
    network.busy = true
    work.catch((err: unknown) => failures.push(err))
  }
  const addNode = (): number => cluster.addNode(randomSkew(scenario, clockRandom))
  const faults = new FaultInjector({
    scenario,
    queue,
    trace,
    epoch: SIM_EPOCH,
    network,
    cluster,
    observer,
    random: clusterRandom,
    spawn,
    addNode,
  })

  const initial = Math.round(scenario.nodes * (scenario.initialFraction ?? 1))
  for (let i = 0; i < initial; i++) {
    const slot = addNode()
    const at = SIM_EPOCH + clusterRandom() * (scenario.startSpreadMs ?? 0)
    queue.schedule(at, () => spawn(cluster.start(slot)))
  }
  network.setRules(
    (scenario.network?.links ?? []).map((link) => ({
      from: new Set(faults.resolve(link.from as NodeSelector)),
      to: new Set(faults.resolve(link.to as NodeSelector)),
      conditions: toConditions(link.conditions),
    })),
  )
  faults.scheduleAll()
  const end = SIM_EPOCH + scenario.durationMs
  const sampleMs = scenario.sampleMs ?? 100
  for (let t = 0; t <= scenario.durationMs; t += sampleMs) {
    queue.schedule(SIM_EPOCH + t, () => {
      sampler.sample(t)
      elections?.checkExclusive()
    })
  }

  let lastReport = performance.now()
  let buckets = 0
  for (let next = queue.nextTime(); next !== undefined && next <= end; next = queue.nextTime()) {
    queue.runNext()
    if (network.busy || cluster.stopping) {
      network.busy = false
      await drainContinuations()
    }
    if (failures.length > 0) throw failures[0]
    if (options.onProgress !== undefined && ++buckets % 256 === 0) {
      const wall = performance.now()
      if (wall - lastReport > 200) {
        lastReport = wall
        options.onProgress((queue.now - SIM_EPOCH) / scenario.durationMs)
      }
    }
  }
  options.onProgress?.(1)
  return summarize({
    scenario,
    seed,
    samples: sampler.samples,
    convergedSince: sampler.convergedSince,
    liveSlots: cluster.liveSlots(),
    slots: cluster.size,
    epoch: SIM_EPOCH,
    referenceMs: Math.max(faults.lastFaultAt, scenario.startSpreadMs ?? 0),
    faults: faults.log,
    violations: [...observer.violations, ...(elections?.violations ?? [])].sort(
      (a, b) => a.at - b.at,
    ),
    network: network.counters,
    codec: codec.stats,
    slotOf: (peer) => network.slotOf(peer),
    services,
    trace: { hash: trace.digest(), events: trace.count, dispatched: queue.dispatched },
    wallMs: performance.now() - wallStart,
  })
}

function randomSkew(scenario: Scenario, random: () => number): ClockSkew {
  const offset = scenario.clocks?.offsetMs ?? 0
  const drift = scenario.clocks?.driftPpm ?? 0
  return { offsetMs: (2 * random() - 1) * offset, driftPpm: (2 * random() - 1) * drift }
}

/** Lets every queued promise continuation run (they all run before the next macrotask). */
function drainContinuations(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
