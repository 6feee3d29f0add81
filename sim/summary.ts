/**
 * Turns the raw samples of a run into the figures a person reads: convergence time after the
 * last fault (cluster-wide and per node), the convergence curve, steady-state load per node,
 * split-brain intervals and leader agreement per service, and the fault timeline.
 */
import { ownerOfKey } from '../src/membership/types.ts'
import type { CodecCacheStats } from './codec-cache.ts'
import type { FaultRecord } from './faults.ts'
import type { NetworkCounters } from './network.ts'
import type { Violation } from './observer.ts'
import type { Sample } from './sampler.ts'
import type { Scenario } from './scenario.ts'

/** Percentiles of a set of measurements. */
export interface Distribution {
  readonly count: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

/** An interval of virtual time during which one leader (or none) held for a service. */
export interface LeaderSegment {
  readonly from: number
  readonly to: number
  /** Slot of the majority leader's owner ('n12'), '-' when none, '?' for a vanished identity. */
  readonly leader: string
  readonly agreement: number
}

/**
 * What a run measured: convergence, load, split brain and leader agreement, faults and violations.
 */
export interface SimSummary {
  readonly scenario: Scenario
  readonly seed: number
  readonly nodes: { readonly slots: number; readonly live: number }
  readonly virtualMs: number
  readonly wallMs: number
  readonly trace: { readonly hash: string; readonly events: number; readonly dispatched: number }
  readonly convergence: {
    /** When the last fault ended (ms from start): convergence is measured from here. */
    readonly referenceMs: number
    /** Time after the reference until every live node held the true set for good; null if never. */
    readonly clusterMs: number | null
    /** Per live node, time after the reference until it held the true set for good. */
    readonly perNode: Distribution | null
    readonly unconvergedNodes: number
  }
  /** [ms from start, fraction of live nodes holding the true set]. */
  readonly curve: readonly (readonly [number, number])[]
  readonly load: {
    readonly windowMs: readonly [number, number]
    readonly liveNodes: number
    readonly receivedMsgsPerNodePerSec: number
    readonly receivedBytesPerNodePerSec: number
    readonly sentMsgsPerNodePerSec: number
    readonly sentBytesPerNodePerSec: number
    /** Of the bytes sent, those of anti-entropy (unicast) rather than push. */
    readonly antiEntropyBytesPerNodePerSec: number
  }
  readonly splitBrain: Readonly<Record<string, readonly (readonly [number, number])[]>>
  /** [ms from start, lowest fraction of live nodes naming the majority leader, over services]. */
  readonly leaderAgreement: readonly (readonly [number, number])[]
  readonly leaderTimeline: Readonly<Record<string, readonly LeaderSegment[]>>
  readonly faults: readonly FaultRecord[]
  readonly violations: readonly Violation[]
  readonly network: {
    readonly delivered: number
    readonly dropped: number
    readonly duplicated: number
    readonly sentFrames: number
    readonly unicastFrames: number
    readonly unicastBytes: number
    readonly deliveredBytes: number
  }
  readonly codec: CodecCacheStats
}

export interface RunRecord {
  readonly scenario: Scenario
  readonly seed: number
  readonly samples: readonly Sample[]
  readonly convergedSince: readonly (number | undefined)[]
  readonly liveSlots: readonly number[]
  readonly slots: number
  readonly epoch: number
  readonly referenceMs: number
  readonly faults: readonly FaultRecord[]
  readonly violations: readonly Violation[]
  readonly network: NetworkCounters
  readonly codec: CodecCacheStats
  readonly slotOf: (peer: string) => number | undefined
  readonly services: readonly string[]
  readonly trace: SimSummary['trace']
  readonly wallMs: number
}

export function summarize(run: RunRecord): SimSummary {
  const { samples, referenceMs } = run
  return {
    scenario: run.scenario,
    seed: run.seed,
    nodes: { slots: run.slots, live: run.liveSlots.length },
    virtualMs: run.scenario.durationMs,
    wallMs: Math.round(run.wallMs),
    trace: run.trace,
    convergence: convergence(run),
    curve: samples.map((s) => [s.t, s.live === 0 ? 1 : s.converged / s.live] as const),
    load: load(run),
    splitBrain: Object.fromEntries(
      run.services.map((service, i) => [service, splitIntervals(samples, i)]),
    ),
    leaderAgreement: samples.map((s) => [s.t, agreement(s)] as const),
    leaderTimeline: Object.fromEntries(
      run.services.map((service, i) => [service, leaderSegments(run, i)]),
    ),
    faults: run.faults,
    violations: run.violations,
    network: {
      delivered: run.network.delivered,
      dropped: run.network.dropped,
      duplicated: run.network.duplicated,
      sentFrames: run.network.sentFrames,
      unicastFrames: run.network.unicastFrames,
      unicastBytes: run.network.unicastBytes,
      deliveredBytes: run.network.deliveredBytes,
    },
    codec: { ...run.codec },
  }
  function convergence(r: RunRecord): SimSummary['convergence'] {
    let clusterAt: number | null = null
    for (let i = samples.length - 1; i >= 0; i--) {
      const s = samples[i] as Sample
      if (s.converged !== s.live) break
      clusterAt = s.t
    }
    const perNode: number[] = []
    let unconverged = 0
    for (const slot of r.liveSlots) {
      const since = r.convergedSince[slot]
      if (since === undefined) unconverged++
      else perNode.push(Math.max(0, since - referenceMs))
    }
    return {
      referenceMs,
      clusterMs: clusterAt === null ? null : Math.max(0, clusterAt - referenceMs),
      perNode: distribution(perNode),
      unconvergedNodes: unconverged,
    }
  }
}

function load(run: RunRecord): SimSummary['load'] {
  const duration = run.scenario.durationMs
  const [from, to] = run.scenario.loadWindowMs ?? [duration * 0.8, duration]
  const inWindow = run.samples.filter((s) => s.t >= from && s.t <= to)
  const first = inWindow[0]
  const last = inWindow[inWindow.length - 1]
  if (first === undefined || last === undefined || last.t === first.t) {
    return {
      windowMs: [from, to],
      liveNodes: 0,
      receivedMsgsPerNodePerSec: 0,
      receivedBytesPerNodePerSec: 0,
      sentMsgsPerNodePerSec: 0,
      sentBytesPerNodePerSec: 0,
      antiEntropyBytesPerNodePerSec: 0,
    }
  }
  const live = inWindow.reduce((sum, s) => sum + s.live, 0) / inWindow.length
  const perNodeSec = (delta: number) =>
    live === 0 ? 0 : round(delta / live / ((last.t - first.t) / 1000))
  return {
    windowMs: [first.t, last.t],
    liveNodes: Math.round(live),
    receivedMsgsPerNodePerSec: perNodeSec(last.delivered - first.delivered),
    receivedBytesPerNodePerSec: perNodeSec(last.deliveredBytes - first.deliveredBytes),
    sentMsgsPerNodePerSec: perNodeSec(last.sentFrames - first.sentFrames),
    sentBytesPerNodePerSec: perNodeSec(last.sentBytes - first.sentBytes),
    antiEntropyBytesPerNodePerSec: perNodeSec(last.unicastBytes - first.unicastBytes),
  }
}

function splitIntervals(samples: readonly Sample[], service: number): Array<[number, number]> {
  const out: Array<[number, number]> = []
  let start: number | undefined
  for (const s of samples) {
    const split = (s.distinctLeaders[service] ?? 0) > 1
    if (split && start === undefined) start = s.t
    if (!split && start !== undefined) {
      out.push([start, s.t])
      start = undefined
    }
  }
  const last = samples[samples.length - 1]
  if (start !== undefined && last !== undefined) out.push([start, last.t])
  return out
}

function agreement(s: Sample): number {
  if (s.live === 0 || s.leaders.length === 0) return 1
  let lowest = 1
  for (const [, count] of s.leaders) lowest = Math.min(lowest, count / s.live)
  return round(lowest)
}

function leaderSegments(run: RunRecord, service: number): LeaderSegment[] {
  const out: LeaderSegment[] = []
  for (const s of run.samples) {
    const [key, count] = s.leaders[service] ?? ['', 0]
    const leader = labelOf(key, run.slotOf)
    const share = s.live === 0 ? 0 : count / s.live
    const current = out[out.length - 1]
    if (current !== undefined && current.leader === leader) {
      out[out.length - 1] = { ...current, to: s.t, agreement: Math.min(current.agreement, share) }
    } else {
      out.push({ from: s.t, to: s.t, leader, agreement: round(share) })
    }
  }
  return out
}

function labelOf(key: string, slotOf: (peer: string) => number | undefined): string {
  if (key === '') return '-'
  const owner = ownerOfKey(key)
  const slot = owner === undefined ? undefined : slotOf(owner)
  return slot === undefined ? '?' : `n${slot}`
}

export function distribution(values: number[]): Distribution | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
  return {
    count: sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1] as number,
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}
