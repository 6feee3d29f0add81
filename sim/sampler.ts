/**
 * Periodic measurements of the whole cluster, taken on the global clock: how many live nodes
 * hold exactly the true set (the union of live owners' own instances), which leader each service
 * has in the majority view and whether several leaders coexist (split brain), and cumulative
 * traffic counters. Also tracks, per node, since when it has held the true set.
 */
import { addFingerprint, emptyFingerprint, sameFingerprint } from './fingerprint.ts'
import type { NetworkCounters } from './network.ts'
import type { NodeView, Observer } from './observer.ts'

/** The instance key of the leader a node names for a service ('' for none). */
export type LeaderKey = (slot: number, view: NodeView, service: string) => string

export interface Sample {
  readonly t: number
  readonly live: number
  readonly converged: number
  /** Per service: the leader key most live nodes name ('' when none), and how many do. */
  readonly leaders: readonly (readonly [string, number])[]
  /** Per service: number of distinct leaders named by live nodes. */
  readonly distinctLeaders: readonly number[]
  readonly delivered: number
  readonly deliveredBytes: number
  readonly sentFrames: number
  readonly sentBytes: number
  readonly unicastBytes: number
}

export class Sampler {
  readonly samples: Sample[] = []
  /** Per slot: global time since which the node has held the true set (undefined: not now). */
  readonly convergedSince: Array<number | undefined> = []
  readonly #observer: Observer
  readonly #counters: NetworkCounters
  readonly #services: readonly string[]
  readonly #leaderKey: LeaderKey

  /** `leaderKey` names a node's leader of a service; by default the election rule on its set. */
  constructor(
    observer: Observer,
    counters: NetworkCounters,
    services: readonly string[],
    leaderKey: LeaderKey = (_slot, view, service) => view.leaders.get(service)?.key ?? '',
  ) {
    this.#observer = observer
    this.#counters = counters
    this.#services = services
    this.#leaderKey = leaderKey
  }

  sample(t: number): Sample {
    const views = this.#observer.views
    const truth = emptyFingerprint()
    let live = 0
    for (const view of views) {
      if (view === undefined) continue
      live++
      addFingerprint(truth, view.own)
    }
    let converged = 0
    const tallies = this.#services.map(() => new Map<string, number>())
    views.forEach((view, slot) => {
      if (view === undefined) {
        this.convergedSince[slot] = undefined
        return
      }
      if (sameFingerprint(view.set, truth)) {
        converged++
        this.convergedSince[slot] ??= t
      } else {
        this.convergedSince[slot] = undefined
      }
      this.#services.forEach((service, i) => {
        const key = this.#leaderKey(slot, view, service)
        const tally = tallies[i] as Map<string, number>
        tally.set(key, (tally.get(key) ?? 0) + 1)
      })
    })
    const sample: Sample = {
      t,
      live,
      converged,
      leaders: tallies.map((tally) => majority(tally)),
      distinctLeaders: tallies.map((tally) => [...tally.keys()].filter((k) => k !== '').length),
      delivered: this.#counters.delivered,
      deliveredBytes: this.#counters.deliveredBytes,
      sentFrames: this.#counters.sentFrames,
      sentBytes: this.#counters.sentBytes,
      unicastBytes: this.#counters.unicastBytes,
    }
    this.samples.push(sample)
    return sample
  }
}

function majority(tally: Map<string, number>): readonly [string, number] {
  let best: readonly [string, number] = ['', 0]
  for (const [key, count] of tally) {
    if (count > best[1] || (count === best[1] && key < best[0])) best = [key, count]
  }
  return best
}
