/**
 * Applies a scenario's fault events to the running simulation. Compound events (flapping,
 * rolling restarts, joins spread over time) expand into timed primitive steps here. Every
 * applied step is logged for the report's timeline and mixed into the trace.
 */

import type { Cluster } from './cluster.ts'
import { serviceName } from './cluster.ts'
import { toConditions } from './conditions.ts'
import type { SimNetwork } from './network.ts'
import type { Observer } from './observer.ts'
import type { EventQueue } from './queue.ts'
import {
  type FaultEvent,
  type FaultType,
  joinedNodes,
  type NodeSelector,
  type Scenario,
} from './scenario.ts'
import type { TraceHash } from './trace.ts'

/** One fault as the timeline shows it (times in ms from the start of the run). */
export interface FaultRecord {
  readonly at: number
  readonly until: number
  readonly type: FaultType
  readonly label: string
}

export interface FaultDeps {
  readonly scenario: Scenario
  readonly queue: EventQueue
  readonly trace: TraceHash
  readonly epoch: number
  readonly network: SimNetwork
  readonly cluster: Cluster
  readonly observer: Observer
  readonly random: () => number
  /** Starts a process in the background (the runner tracks the promise). */
  readonly spawn: (work: Promise<void>) => void
  /** Creates a new machine with a random clock error from the scenario's clock spec. */
  readonly addNode: () => number
}

const TYPE_CODES: Record<FaultType, number> = {
  partition: 1,
  'one-way': 2,
  heal: 3,
  flap: 4,
  crash: 5,
  restart: 6,
  stop: 7,
  'rolling-restart': 8,
  join: 9,
  deregister: 10,
  conditions: 11,
  skew: 12,
}

export class FaultInjector {
  readonly log: FaultRecord[] = []
  /** Time (ms from start) when the last fault's effects end. */
  lastFaultAt = 0
  readonly #deps: FaultDeps

  constructor(deps: FaultDeps) {
    this.#deps = deps
  }

  /** Schedules every event of the scenario. */
  scheduleAll(): void {
    for (const event of this.#deps.scenario.events) this.#at(event.at, () => this.apply(event))
  }

  apply(event: FaultEvent): void {
    const { network, cluster, trace, queue } = this.#deps
    trace.mix(queue.now, 4, TYPE_CODES[event.type])
    const slots = 'nodes' in event ? this.resolve(event.nodes) : []
    let until = event.at
    let label: string = event.type
    switch (event.type) {
      case 'partition': {
        const groups = event.groups.map((g) => this.resolve(g))
        network.partition(groups)
        label = `partition ${groups.map((g) => g.length).join('|')}`
        break
      }
      case 'one-way': {
        const from = this.resolve(event.from)
        const to = this.resolve(event.to)
        network.oneWay(from, to)
        label = `one-way ${from.length}→${to.length}`
        break
      }
      case 'heal':
        network.heal()
        break
      case 'flap':
        for (let k = 0; k < event.times; k++) {
          const isolated = k % 2 === 0
          this.#at(event.at + k * event.periodMs, () => {
            for (const slot of slots) network.isolate(slot, isolated)
          })
        }
        until = event.at + event.times * event.periodMs
        this.#at(until, () => {
          for (const slot of slots) network.isolate(slot, false)
        })
        label = `flap ${slots.length} nodes ×${event.times}`
        break
      case 'crash':
        for (const slot of slots) cluster.crash(slot)
        label = `crash ${slots.length}`
        break
      case 'restart':
        for (const slot of slots) this.#deps.spawn(cluster.restart(slot, event.keepIdentity))
        label = `restart ${slots.length}${event.keepIdentity ? '' : ' (new identity)'}`
        break
      case 'stop':
        for (const slot of slots) this.#deps.spawn(cluster.stop(slot))
        label = `stop ${slots.length}`
        break
      case 'rolling-restart':
        slots.forEach((slot, i) => {
          const down = event.at + i * event.intervalMs
          this.#at(down, () => {
            if (event.graceful) this.#deps.spawn(cluster.stop(slot))
            else cluster.crash(slot)
          })
          this.#at(down + event.downMs, () => this.#deps.spawn(cluster.restart(slot, true)))
          until = Math.max(until, down + event.downMs)
        })
        label = `rolling-restart ${slots.length}`
        break
      case 'join': {
        const count = joinedNodes(event, this.#deps.scenario.nodes)
        for (let i = 0; i < count; i++) {
          const slot = this.#deps.addNode()
          const delay = this.#deps.random() * event.spreadMs
          this.#at(event.at + delay, () => this.#deps.spawn(cluster.start(slot)))
        }
        until = event.at + event.spreadMs
        label = `join ${count}`
        break
      }
      case 'deregister':
        for (const slot of slots) this.#deps.spawn(cluster.deregisterAll(slot))
        label = `deregister ${slots.length}`
        break
      case 'conditions':
        network.setConditions(toConditions(event.conditions))
        label = `conditions ${JSON.stringify(event.conditions)}`
        break
      case 'skew':
        for (const slot of slots)
          cluster.clock(slot).adjust({ offsetMs: event.offsetMs, driftPpm: event.driftPpm })
        label = `skew ${slots.length} by ${event.offsetMs} ms, ${event.driftPpm} ppm`
        break
    }
    this.log.push({ at: event.at, until, type: event.type, label })
    this.lastFaultAt = Math.max(this.lastFaultAt, until)
  }

  /** The slots a selector names now. */
  resolve(selector: NodeSelector): number[] {
    const size = this.#deps.cluster.size
    if ('slots' in selector) return selector.slots.filter((s) => s < size)
    if ('down' in selector) {
      const live = new Set(this.#deps.cluster.liveSlots())
      return Array.from({ length: size }, (_, s) => s).filter((s) => !live.has(s))
    }
    if ('leaderOf' in selector) {
      const slot = this.#leaderSlot(selector.leaderOf)
      return slot === undefined ? [] : [slot]
    }
    const n = this.#deps.scenario.nodes
    const out: number[] = []
    for (
      let s = Math.floor(selector.from * n);
      s < Math.min(size, Math.floor(selector.to * n));
      s++
    )
      out.push(s)
    return out
  }

  /** The slot owning the leader most live nodes name for `service` (`svc-<i>` or a bare index). */
  #leaderSlot(service: string): number | undefined {
    const name = /^\d+$/.test(service) ? serviceName(Number(service)) : service
    const tally = new Map<string, number>()
    for (const view of this.#deps.observer.views) {
      const owner = view?.leaders.get(name)?.owner
      if (owner !== undefined) tally.set(owner, (tally.get(owner) ?? 0) + 1)
    }
    let best: string | undefined
    for (const [owner, count] of tally) {
      if (best === undefined || count > (tally.get(best) as number)) best = owner
    }
    return best === undefined ? undefined : this.#deps.network.slotOf(best)
  }

  #at(ms: number, fn: () => void): void {
    this.#deps.queue.schedule(this.#deps.epoch + ms, fn)
  }
}
