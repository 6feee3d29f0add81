/**
 * Runs the real election (src/election, `createElection`) on every simulated node when a
 * scenario asks for it, and checks the guarantees its documentation states for the mode:
 * - both modes: a node's fencing term for a service never decreases (`term-decreased`);
 * - quorum mode: at no sampled instant do two owners both hold leadership of one service, as
 *   `amILeader` (exact when called) reports on their own nodes (`two-leaders`).
 * Default mode's guarantee (one leader per service once the set has converged) is checked by
 * the properties from the leaders this module reports per node.
 */
import type { Election, ElectionOptions } from '../src/election/index.ts'
import { createElection } from '../src/election/index.ts'
import type { Mesh } from '../src/mesh/mesh.ts'
import type { ClusterListener } from './cluster.ts'
import type { Violation } from './observer.ts'

/** The election mode the simulated nodes run: default, or quorum with a clock-drift bound. */
export type ElectionMode =
  | { readonly mode: 'default' }
  | { readonly mode: 'quorum'; readonly maxClockDriftRatio?: number }

export class ElectionMonitor implements ClusterListener {
  readonly violations: Violation[] = []
  readonly #elections: Array<{ mesh: Mesh; election: Election } | undefined> = []
  readonly #options: ElectionOptions
  readonly #now: () => number

  constructor(mode: ElectionMode, expectedNodes: number, now: () => number) {
    this.#now = now
    this.#options =
      mode.mode === 'quorum'
        ? {
            quorum: {
              expectedNodes,
              ...(mode.maxClockDriftRatio === undefined
                ? {}
                : { maxClockDriftRatio: mode.maxClockDriftRatio }),
            },
          }
        : {}
  }

  get quorum(): boolean {
    return this.#options.quorum !== undefined
  }

  nodeUp(slot: number, mesh: Mesh): void {
    const election = createElection(mesh, this.#options)
    const terms = new Map<string, number>()
    election.subscribe((event) => {
      if (event.type !== 'leader' || event.leader === null) return
      const last = terms.get(event.service)
      if (last !== undefined && event.leader.term < last) {
        this.violations.push({
          at: this.#now(),
          kind: 'term-decreased',
          message: `node ${slot}: term of ${event.service} went from ${last} to ${event.leader.term}`,
        })
      }
      terms.set(event.service, Math.max(last ?? event.leader.term, event.leader.term))
    })
    this.#elections[slot] = { mesh, election }
  }

  nodeDown(slot: number, mesh: Mesh): void {
    const entry = this.#elections[slot]
    if (entry?.mesh !== mesh) return
    entry.election.close()
    this.#elections[slot] = undefined
  }

  /** The instance key of the leader `slot`'s election names for `service` ('' for none). */
  leaderKey(slot: number, service: string): string {
    return this.#elections[slot]?.election.leader(service)?.instance.key ?? ''
  }

  /** Quorum mode: records a violation when two owners both believe they lead one service. */
  checkExclusive(): void {
    if (!this.quorum) return
    const holders = new Map<string, string[]>()
    for (const entry of this.#elections) {
      if (entry === undefined || !entry.mesh.running) continue
      for (const key of entry.mesh.ownKeys()) {
        if (!entry.election.amILeader(key)) continue
        const service = entry.mesh.replica.set.get(key)
        if (service?.statement.kind !== 'registration') continue
        const name = service.statement.instance.service
        holders.set(name, [...(holders.get(name) ?? []), key])
      }
    }
    for (const [service, keys] of holders) {
      if (keys.length > 1) {
        this.violations.push({
          at: this.#now(),
          kind: 'two-leaders',
          message: `${keys.length} owners hold leadership of ${service} at once`,
        })
      }
    }
  }
}
