/**
 * The election shell: the thin stateful part around the pure fold of leadership.ts. It holds,
 * per service, the state that fold returned, and re-derives it from the node's live set
 *
 * - synchronously on every batch of membership changes (the node's `subscribe` feed), so a
 *   deletion or expiry is acted on in the same turn the node applies it;
 * - on every query (`leader`, `amILeader`, `standby`, `demoted`), so an answer is never staler
 *   than the node's own set and clock; a lease that ran out between checks is already gone;
 * - in quorum mode, every `checkIntervalMs`, because quorum and leases change with time alone.
 *
 * Each re-derivation compares the newly named leader with the previous one and emits, in this
 * order, `demoted` (if this node owned the previous leader), `leader`, `promoted` (if it owns the
 * new one); a leadership whose term rises emits `leader` alone. State is updated before anything
 * is emitted, so listeners may query the election.
 *
 * Claims. When the leader this node names is its own and the term it names exceeds the
 * instance's claim, or another live instance claims as high (a tie after a heal, which this one
 * won on key), the shell re-signs the instance with the term (`claimLeadership`, one
 * registration update, sent after the current turn). A claimed instance outranks every
 * unclaimed one (rules.ts), so from then on no newcomer displaces it. The first claims wait
 * `claimDelayMs` after the election starts, so that a node that has just joined learns of the
 * cluster's claimed leader before it claims for its own instance.
 *
 * Attestation. The fold ranks instances of attested owners first (rules.ts, rule 0) and counts
 * only their claims, and a claim rises only above attested rivals: an owner a member minted
 * cannot push terms up. Attestation can change with no instance changing; the node tells the
 * shell (`onAttestationChange`) and it re-derives every service.
 */
import type { DiscoveryNode, Instance, ServiceChange } from '../contract.ts'
import { EventQueue } from '../util/event-queue.ts'
import { ElectionClosedError } from './errors.ts'
import type { DemotionReason, ElectionEvent, Leadership } from './events.ts'
import { NO_LEADERSHIP, observe, type ServiceLeadership } from './leadership.ts'
import type { ResolvedElectionOptions } from './options.ts'
import { majorityOf } from './quorum.ts'
import { leadershipId, nextClaim } from './term.ts'

/** Whether two named leaders are the same leadership (possibly with different terms). */
function sameLeadership(a: Leadership | undefined, b: Leadership | undefined): boolean {
  return a !== undefined && b !== undefined && leadershipId(a.instance) === leadershipId(b.instance)
}

/** A registration this node owns, by handle (anything with its key) or by key. */
export type OwnInstance = { readonly key: string } | string

/** Leader election over one node's view of the service set (see src/election/README.md). */
export interface Election {
  /** The leader of `service` as this node names it now, or undefined (none, or withheld). */
  leader(service: string): Leadership | undefined
  /**
   * The current leader of `service` (null for none), then every change, as this node sees it.
   * Ends on abort, `return()` or `close()`. A consumer that stops reading should end it.
   */
  leaders(
    service: string,
    options?: { signal?: AbortSignal },
  ): AsyncIterableIterator<Leadership | null>
  /** True while the instance (owned by this node) is the leader it names; checked fresh. */
  amILeader(instance: OwnInstance): boolean
  /**
   * Resolves when the instance is or becomes leader. Rejects with the signal's reason on abort
   * and with ElectionClosedError on close. It never resolves for an instance that is gone.
   */
  standby(instance: OwnInstance, options?: { signal?: AbortSignal }): Promise<Leadership>
  /**
   * Resolves with the reason when the instance stops being leader, at once with 'not-leader' if
   * it is not leader now. Rejects with the signal's reason on abort.
   */
  demoted(
    instance: OwnInstance,
    options?: { signal?: AbortSignal },
  ): Promise<DemotionReason | 'not-leader'>
  /** Calls `listener` synchronously with every event; returns the unsubscribe function. */
  subscribe(listener: (event: ElectionEvent) => void): () => void
  /** Stops: owned leaders are demoted ('closed'), streams end, pending standbys reject. */
  close(): void
}

/** An instance this node owns; dropped once its removal has been handled. */
interface OwnRecord {
  readonly service: string
  /** Set in the batch that removed the registration from this node's set, with the reason. */
  readonly gone: 'lapsed' | 'deregistered' | undefined
}

type Listener = (event: ElectionEvent) => void

export class ElectionShell implements Election {
  readonly #node: DiscoveryNode
  readonly #options: ResolvedElectionOptions
  readonly #services = new Map<string, ServiceLeadership>()
  readonly #own = new Map<string, OwnRecord>()
  readonly #listeners = new Set<Listener>()
  readonly #closers = new Set<() => void>()
  readonly #unsubscribe: () => void
  readonly #unsubscribeAttestation: () => void
  #cancelTick: () => void = () => undefined
  #cancelClaimDelay: () => void
  #majoritySince: number | undefined
  #closed = false
  readonly #claimsFrom: number
  /** Claims to send after the current turn, by key. */
  readonly #claims = new Map<string, number>()

  constructor(node: DiscoveryNode, options: ResolvedElectionOptions) {
    this.#node = node
    this.#options = options
    this.#claimsFrom = node.scheduler.now() + options.claimDelayMs
    this.#cancelClaimDelay = node.scheduler.setTimer(options.claimDelayMs, () => {
      if (!this.#closed) this.#refreshAll()
    })
    for (const instance of node.services()) this.#track(instance, undefined)
    this.#unsubscribe = node.subscribe((changes) => this.#onChanges(changes))
    // Attestation can change with no instance changing (a neighbour list, an owner's liveness).
    this.#unsubscribeAttestation = node.onAttestationChange(() => {
      if (!this.#closed) this.#refreshAll()
    })
    if (options.quorum !== undefined) this.#tick()
    this.#refreshAll()
  }

  leader(service: string): Leadership | undefined {
    if (this.#closed) return undefined
    const now = this.#sampleMajority()
    return this.#refresh(service, now)
  }

  leaders(
    service: string,
    options: { signal?: AbortSignal } = {},
  ): AsyncIterableIterator<Leadership | null> {
    const listener: Listener = (event) => {
      if (event.type === 'leader' && event.service === service) queue.push(event.leader)
    }
    const close = (): void => queue.close()
    const queue = new EventQueue<Leadership | null>(() => {
      this.#listeners.delete(listener)
      this.#closers.delete(close)
    }, options.signal)
    if (this.#closed) queue.close()
    if (queue.closed) return queue
    queue.push(this.leader(service) ?? null)
    this.#listeners.add(listener)
    this.#closers.add(close)
    return queue
  }

  amILeader(instance: OwnInstance): boolean {
    return this.#ownLeadership(keyOf(instance)) !== undefined
  }

  standby(instance: OwnInstance, options: { signal?: AbortSignal } = {}): Promise<Leadership> {
    const key = keyOf(instance)
    return this.#await(
      options.signal,
      () => this.#ownLeadership(key),
      (event) =>
        event.type === 'promoted' && event.leadership.instance.key === key
          ? event.leadership
          : undefined,
    )
  }

  demoted(
    instance: OwnInstance,
    options: { signal?: AbortSignal } = {},
  ): Promise<DemotionReason | 'not-leader'> {
    const key = keyOf(instance)
    return this.#await<DemotionReason | 'not-leader'>(
      options.signal,
      () => (this.#ownLeadership(key) === undefined ? 'not-leader' : undefined),
      (event) =>
        event.type === 'demoted' && event.leadership.instance.key === key
          ? event.reason
          : undefined,
    )
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#cancelTick()
    this.#cancelClaimDelay()
    this.#unsubscribe()
    this.#unsubscribeAttestation()
    for (const [service, { current }] of this.#services) {
      if (current !== undefined && this.#owns(current.instance))
        this.#emit({ type: 'demoted', service, leadership: current, reason: 'closed' })
    }
    this.#services.clear()
    for (const close of [...this.#closers]) close()
    this.#listeners.clear()
  }

  /** Resolves with `now()` if it is defined, else with the first event `match` maps to a value. */
  #await<T>(
    signal: AbortSignal | undefined,
    now: () => T | undefined,
    match: (event: ElectionEvent) => T | undefined,
  ): Promise<T> {
    if (this.#closed) return Promise.reject(new ElectionClosedError())
    if (signal?.aborted) return Promise.reject(signal.reason)
    const value = now()
    if (value !== undefined) return Promise.resolve(value)
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        this.#listeners.delete(listener)
        this.#closers.delete(onClose)
        signal?.removeEventListener('abort', onAbort)
      }
      const listener: Listener = (event) => {
        const found = match(event)
        if (found === undefined) return
        done()
        resolve(found)
      }
      const onAbort = (): void => {
        done()
        reject(signal?.reason)
      }
      const onClose = (): void => {
        done()
        reject(new ElectionClosedError())
      }
      this.#listeners.add(listener)
      this.#closers.add(onClose)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  #ownLeadership(key: string): Leadership | undefined {
    const own = this.#own.get(key)
    if (this.#closed || own === undefined) return undefined
    const current = this.#refresh(own.service, this.#sampleMajority())
    return current?.instance.key === key ? current : undefined
  }

  #onChanges(changes: readonly ServiceChange[]): void {
    const now = this.#node.scheduler.now()
    const removed = new Map<string, Map<string, 'expired' | 'deleted'>>()
    for (const change of changes) {
      const { instance } = change
      let keys = removed.get(instance.service)
      if (keys === undefined) {
        keys = new Map()
        removed.set(instance.service, keys)
      }
      if (change.type === 'expired' || change.type === 'deleted')
        keys.set(instance.key, change.type)
      this.#track(instance, OWN_GONE[change.type])
    }
    this.#sampleMajority()
    for (const [service, keys] of removed) this.#refresh(service, now, keys)
    for (const [key, own] of this.#own) if (own.gone !== undefined) this.#own.delete(key)
  }

  #track(instance: Instance, gone: OwnRecord['gone']): void {
    if (!this.#services.has(instance.service)) this.#services.set(instance.service, NO_LEADERSHIP)
    if (this.#owns(instance)) this.#own.set(instance.key, { service: instance.service, gone })
  }

  #tick(): void {
    this.#cancelTick = this.#node.scheduler.setTimer(this.#options.checkIntervalMs, () => {
      if (this.#closed) return
      this.#refreshAll()
      this.#tick()
    })
  }

  #refreshAll(): void {
    const now = this.#sampleMajority()
    for (const service of this.#services.keys()) this.#refresh(service, now)
  }

  /** Quorum mode: updates the start of the current unbroken run of majority. Returns now. */
  #sampleMajority(): number {
    const now = this.#node.scheduler.now()
    const quorum = this.#options.quorum
    if (quorum !== undefined) {
      const has = this.#quorumNodes() >= majorityOf(quorum.expectedNodes)
      this.#majoritySince = has ? (this.#majoritySince ?? now) : undefined
    }
    return now
  }

  /**
   * The live nodes a quorum counts: this node and live connected neighbours, whose peer IDs
   * their connections authenticated. Owners that neighbours vouch for count toward the
   * cluster's size (`liveNodes()`), but a member can mint owner keys and vouch for a few, so a
   * majority counts only nodes seen directly (quorum mode's clusters fit the heartbeat
   * capacity, where nodes connect to each other).
   */
  #quorumNodes(): number {
    const node = this.#node
    const direct = new Set(node.peers())
    direct.add(node.peerId)
    let count = 0
    for (const id of node.liveNodes()) if (direct.has(id)) count++
    return count
  }

  /** Re-derives the leader of `service` and emits what changed; returns the leader named. */
  #refresh(
    service: string,
    now: number,
    removed: ReadonlyMap<string, 'expired' | 'deleted'> = NOTHING_REMOVED,
  ): Leadership | undefined {
    const before = this.#services.get(service) ?? NO_LEADERSHIP
    const live = this.#node.lookup(service)
    const quorum = this.#options.quorum
    const attested = (instance: Instance): boolean => this.#node.attested(instance.owner)
    const after = observe(before, {
      live,
      attested,
      removed,
      now,
      ...(quorum === undefined
        ? {}
        : { quorum: { policy: quorum, majoritySince: this.#majoritySince } }),
    })
    this.#services.set(service, after)
    const previous = before.current
    const next = after.current
    if (next !== undefined && this.#owns(next.instance))
      this.#claim(next, live.filter(attested), now)
    if (sameLeadership(previous, next)) {
      if (previous?.term !== next?.term)
        this.#emit({ type: 'leader', service, leader: next ?? null })
      return next
    }
    if (previous === undefined && next === undefined) return next
    if (previous !== undefined && this.#owns(previous.instance)) {
      const reason = this.#demotionReason(previous.instance, live, next)
      this.#emit({ type: 'demoted', service, leadership: previous, reason })
    }
    this.#emit({ type: 'leader', service, leader: next ?? null })
    if (next !== undefined && this.#owns(next.instance))
      this.#emit({ type: 'promoted', service, leadership: next })
    return next
  }

  /**
   * Queues a claim for `leader` (owned here) when its registration claims less than the term
   * this node names, or no more than another claim of `rivals` (the service's attested live
   * instances: a tie it won on key).
   */
  #claim(leader: Leadership, rivals: readonly Instance[], now: number): void {
    if (now < this.#claimsFrom) return
    const { instance } = leader
    let rival = 0
    for (const other of rivals) {
      if (other.key !== instance.key) rival = Math.max(rival, other.leaderTerm)
    }
    const term =
      rival >= instance.leaderTerm && rival > 0
        ? Math.max(leader.term, nextClaim(rival))
        : leader.term
    if (term <= instance.leaderTerm || (this.#claims.get(instance.key) ?? 0) >= term) return
    const first = this.#claims.size === 0
    this.#claims.set(instance.key, term)
    if (first) queueMicrotask(() => this.#sendClaims())
  }

  #sendClaims(): void {
    const claims = [...this.#claims]
    this.#claims.clear()
    if (this.#closed) return
    for (const [key, term] of claims) {
      this.#node.claimLeadership(key, term).catch(() => {
        // The node stopped or the instance is gone: nothing left to claim.
      })
    }
  }

  #demotionReason(
    previous: Instance,
    live: readonly Instance[],
    next: Leadership | undefined,
  ): DemotionReason {
    const present = live.find((i) => i.key === previous.key)
    if (present === undefined || leadershipId(present) !== leadershipId(previous))
      return this.#own.get(previous.key)?.gone ?? 'deregistered'
    return next === undefined ? 'quorum-lost' : 'superseded'
  }

  #owns(instance: Instance): boolean {
    return instance.owner === this.#node.peerId
  }

  #emit(event: ElectionEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event)
      } catch {
        // A listener's failure is its own; it must not break the election.
      }
    }
  }
}

const OWN_GONE: Record<ServiceChange['type'], OwnRecord['gone']> = {
  created: undefined,
  updated: undefined,
  expired: 'lapsed',
  deleted: 'deregistered',
}

const NOTHING_REMOVED: ReadonlyMap<string, 'expired' | 'deleted'> = new Map()

function keyOf(instance: OwnInstance): string {
  return typeof instance === 'string' ? instance : instance.key
}
