/**
 * Watches every running node through its synchronous change feed (`Mesh.subscribe`), as a user
 * of the public API would, and keeps per node: the fingerprint of the set it holds, the
 * fingerprint of its own instances (the ground truth of what is live), and its leader per
 * service (the election rule over its set).
 *
 * Safety monitors run on every change, at the moment it happens:
 * - deleted-resurrected: a node that has seen an instance deleted (a signed tombstone) later
 *   shows it again with a revision no newer than the deleted one (a deletion still in flight
 *   elsewhere is not a resurrection; convergence at the end proves it lands everywhere);
 * - expired-resurrected: an instance of a crashed process's incarnation appears at some node
 *   later than the crash plus the expiry bound (TTL on the slowest clock, the sweep, slack).
 */
import { compareByAge, leaderOf } from '../src/election/rules.ts'
import type { ServiceChange } from '../src/membership/service-set.ts'
import type { Instance } from '../src/membership/types.ts'
import { compareVersions, formatVersion, type Version } from '../src/membership/version.ts'
import type { Mesh } from '../src/mesh/mesh.ts'
import type { ClusterListener } from './cluster.ts'
import { emptyFingerprint, type Fingerprint, updateFingerprint } from './fingerprint.ts'

/** A safety violation the observer saw: a resurrected instance, a term going back, two leaders. */
export interface Violation {
  readonly at: number
  readonly kind: 'deleted-resurrected' | 'expired-resurrected' | 'term-decreased' | 'two-leaders'
  readonly message: string
}

export interface NodeView {
  readonly mesh: Mesh
  /** False once the process is down: its late changes are ignored. */
  alive: boolean
  readonly set: Fingerprint
  readonly own: Fingerprint
  readonly leaders: Map<string, Instance>
  /** Newest deleted revision per instance key, as this node saw deletions. */
  readonly deleted: Map<string, Version>
}

interface DeadIncarnation {
  readonly incarnation: bigint
  readonly deadline: number
}

export class Observer implements ClusterListener {
  readonly views: Array<NodeView | undefined> = []
  readonly violations: Violation[] = []
  readonly #now: () => number
  readonly #expiryBoundMs: number
  readonly #dead = new Map<string, DeadIncarnation[]>()

  /** `now` reads the global virtual clock; `expiryBoundMs` bounds how long a dead record lingers. */
  constructor(now: () => number, expiryBoundMs: number) {
    this.#now = now
    this.#expiryBoundMs = expiryBoundMs
  }

  nodeUp(slot: number, mesh: Mesh): void {
    const view: NodeView = {
      mesh,
      alive: true,
      set: emptyFingerprint(),
      own: emptyFingerprint(),
      leaders: new Map(),
      deleted: new Map(),
    }
    this.views[slot] = view
    mesh.subscribe((changes) => this.#onChanges(view, changes))
  }

  nodeDown(slot: number, mesh: Mesh, how: 'crash' | 'stop'): void {
    const view = this.views[slot]
    if (view?.mesh === mesh) {
      view.alive = false
      this.views[slot] = undefined
    }
    if (how === 'crash') {
      const list = this.#dead.get(mesh.peerId) ?? []
      list.push({
        incarnation: mesh.owner.incarnation,
        deadline: this.#now() + this.#expiryBoundMs,
      })
      this.#dead.set(mesh.peerId, list)
    }
  }

  #onChanges(view: NodeView, changes: readonly ServiceChange[]): void {
    if (!view.alive) return
    const touched = new Set<string>()
    for (const change of changes) {
      const instance = change.instance
      const own = instance.owner === view.mesh.peerId
      if (change.type === 'created' || change.type === 'updated') {
        this.#checkResurrection(view, instance)
        if (change.type === 'updated') {
          updateFingerprint(view.set, change.previous, -1)
          if (own) updateFingerprint(view.own, change.previous, -1)
        }
        updateFingerprint(view.set, instance, 1)
        if (own) updateFingerprint(view.own, instance, 1)
      } else {
        updateFingerprint(view.set, instance, -1)
        if (own) updateFingerprint(view.own, instance, -1)
        if (change.type === 'deleted') noteDeleted(view, instance)
      }
      touched.add(instance.service)
    }
    for (const service of touched) this.#updateLeader(view, service, changes)
  }

  #updateLeader(view: NodeView, service: string, changes: readonly ServiceChange[]): void {
    let leader = view.leaders.get(service)
    let recompute = false
    for (const change of changes) {
      const instance = change.instance
      if (instance.service !== service) continue
      if (change.type === 'created') {
        if (leader === undefined || compareByAge(instance, leader) < 0) leader = instance
      } else if (leader?.key === instance.key) {
        recompute = true
      }
    }
    if (recompute) leader = leaderOf(view.mesh.lookup(service))
    if (leader === undefined) view.leaders.delete(service)
    else view.leaders.set(service, leader)
  }

  #checkResurrection(view: NodeView, instance: Instance): void {
    const now = this.#now()
    const deleted = view.deleted.get(instance.key)
    if (deleted !== undefined && compareVersions(instance.revision, deleted) <= 0) {
      this.violations.push({
        at: now,
        kind: 'deleted-resurrected',
        message: `${instance.key.replaceAll('\n', '/')} ${formatVersion(instance.revision)} came back after its owner deleted ${formatVersion(deleted)}`,
      })
    }
    for (const dead of this.#dead.get(instance.owner) ?? []) {
      if (instance.revision.incarnation <= dead.incarnation && now > dead.deadline) {
        this.violations.push({
          at: now,
          kind: 'expired-resurrected',
          message: `${instance.key.replaceAll('\n', '/')} ${formatVersion(instance.revision)} of a crashed incarnation appeared after its expiry bound`,
        })
      }
    }
  }
}

function noteDeleted(view: NodeView, instance: Instance): void {
  const held = view.deleted.get(instance.key)
  if (held === undefined || compareVersions(instance.revision, held) > 0)
    view.deleted.set(instance.key, instance.revision)
}
