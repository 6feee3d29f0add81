/**
 * The protocol driver: one replica, one local owner, one transport, one scheduler. It is the
 * thin stateful shell around the pure membership core, and the same code runs in the libp2p
 * node, over the in-memory transport and inside the simulator.
 *
 * Dissemination
 * - Push: every statement this node signs (registration, tombstone, heartbeat) is broadcast,
 *   and the transport (gossipsub in the node) forwards it through the cluster. Heartbeats go out
 *   at once. Registrations and tombstones go out on the next turn of the scheduler, all those
 *   made in one turn in one frame with one fresh heartbeat that vouches for them (a process
 *   registering its instances at start sends one frame, and each receiver merges one
 *   heartbeat, not one per instance). Changes made with no neighbour (a node registers before
 *   its first connection) are pushed again, all of this node's statements, when the first
 *   neighbour connects.
 * - Pull/push anti-entropy: on every new connection (started by the end with the smaller peer
 *   ID: one exchange serves both) and every `antiEntropyIntervalMs` with one random neighbour,
 *   the node sends its digest; the peer answers with what this node lacks plus the summaries it
 *   holds differently, and this node answers with what the peer lacks. When heartbeats show this
 *   replica is missing something of their owners, it pulls. Exchanges, answers and pulls are
 *   driven by exchange.ts; `syncWith` starts one at once.
 * - Expiry: swept every `expiryIntervalMs` on this node's clock, and sooner when the service
 *   set knows something runs out before then, so a crashed owner's instances go at their TTL
 *   instead of up to one interval after it.
 * - Scale: each heartbeat recomputes the schedule from the live nodes this node counts
 *   (config.ts: beyond the heartbeat budget, intervals stretch and heartbeats sign a lease).
 *
 * Frames from peers are decoded and merged defensively: a bad frame or statement is counted by
 * its error code and dropped.
 */
import type { DiscoveryNode, RegistrationHandle, WatchEvent } from '../contract.ts'
import {
  type GossipSdError,
  InvalidArgumentError,
  OwnerMismatchError,
  ProtocolViolationError,
  REJECTION_CLASS,
} from '../membership/errors.ts'
import { decodeFrame, type FrameContent, packFrames } from '../membership/frame.ts'
import type { Signer } from '../membership/identity.ts'
import type { MembershipLimits } from '../membership/limits.ts'
import { LocalOwner, nextIncarnation } from '../membership/owner.ts'
import type { OwnerDirectory } from '../membership/owner-directory.ts'
import { Replica, type ReplicaStats, type StatementOpener } from '../membership/replica.ts'
import type { Digest, Entry, ServiceChange } from '../membership/service-set.ts'
import type { Statement } from '../membership/statement.ts'
import type { FrameRoute, FrameVerdict, PeerEvent, Transport } from '../membership/transport.ts'
import type { Instance, InstanceSpec } from '../membership/types.ts'
import { EventQueue } from '../util/event-queue.ts'
import { AttestationView } from './attestation-view.ts'
import {
  type HeartbeatSchedule,
  heartbeatCapacity,
  heartbeatSchedule,
  type MeshConfig,
} from './config.ts'
import { Exchanges } from './exchange.ts'
import { Leave } from './leave.ts'
import { NeighbourLog } from './neighbours.ts'
import type { Scheduler } from './scheduler.ts'

/** What a rejection (if any) makes of the frame that carried it (see REJECTION_CLASS). */
function verdictOf(error: GossipSdError | undefined): FrameVerdict {
  if (error === undefined) return 'accept'
  const rejection = REJECTION_CLASS[error.code]
  return rejection === 'forged' ? 'reject' : rejection === 'unacceptable' ? 'ignore' : 'accept'
}

/**
 * Stretched heartbeat intervals are shortened by up to this fraction at random, so the owners of
 * a large cluster that started together do not heartbeat in lockstep bursts.
 */
const STRETCHED_HEARTBEAT_JITTER = 0.1

/**
 * A new connection is announced by a heartbeat this soon after it (one for a burst of them), so
 * the new neighbour is attested across the cluster without waiting for the regular heartbeat.
 */
const NEIGHBOUR_ANNOUNCE_MS = 200

/** What a Mesh runs on: its transport, signer, clock and configuration. */
export interface MeshInit {
  transport: Transport
  signer: Signer
  scheduler: Scheduler
  config: MeshConfig
  /** Host that peers reach this node at (expands port-only addresses). @default '127.0.0.1' */
  advertisedHost?: string
  /** Incarnation of this run; must exceed every earlier run's. @default from the scheduler clock */
  incarnation?: bigint
  /** Random source in [0, 1) for choosing sync partners. @default Math.random */
  random?: () => number
  /**
   * Frame decoder and statement opener, pure functions of the bytes. A driver running many
   * meshes in one process (the simulator) shares memoized ones. @default decodeFrame / a
   * per-replica verify cache
   */
  decodeFrame?: (bytes: Uint8Array, limits: MembershipLimits) => FrameContent
  openStatement?: StatementOpener
  /** Where owner IDs become replica slots; such a driver shares one too. @default the replica's own */
  ownerDirectory?: OwnerDirectory
}

/** Counters of a mesh: frames and bytes, syncs, leave confirmations, and its replica's. */
export interface MeshStats extends ReplicaStats {
  framesReceived: number
  framesRejected: number
  framesSent: number
  bytesSent: number
  bytesReceived: number
  syncsStarted: number
  /** Neighbours that confirmed holding this node's tombstones when it stopped. */
  leaveConfirmed: number
  /** Neighbours still unconfirmed when `leaveTimeoutMs` ran out. */
  leaveUnconfirmed: number
  /** Times this node met its own statements from a higher incarnation and moved above it. */
  reincarnations: number
  /** Anti-entropy requests left unanswered: their sender had used up its reply budget. */
  answersRefused: number
  /** Statements the replica holds now: live records, tombstones and heartbeats. */
  statementsHeld: number
  /** Owners the replica holds statements of now. */
  ownersHeld: number
  /** Bytes of signed statements the replica holds now (what `MembershipLimits.maxBytes` bounds). */
  bytesHeld: number
}

/** Receives every batch of changes to the service set, synchronously. */
export type ChangeListener = (changes: readonly ServiceChange[]) => void

export class Mesh implements DiscoveryNode {
  readonly transport: Transport
  readonly scheduler: Scheduler
  readonly config: MeshConfig
  readonly replica: Replica
  #owner: LocalOwner
  readonly #random: () => number
  readonly #decodeFrame: (bytes: Uint8Array, limits: MembershipLimits) => FrameContent
  readonly #advertisedHost: string
  readonly #specs = new Map<string, InstanceSpec>()
  readonly #listeners = new Set<ChangeListener>()
  readonly #watchers = new Set<EventQueue<WatchEvent>>()
  readonly #timers: Array<() => void> = []
  readonly #exchanges: Exchanges
  readonly #stats = {
    framesReceived: 0,
    framesRejected: 0,
    framesSent: 0,
    bytesSent: 0,
    bytesReceived: 0,
    syncsStarted: 0,
    leaveConfirmed: 0,
    leaveUnconfirmed: 0,
    reincarnations: 0,
    answersRefused: 0,
  }
  #state: 'new' | 'running' | 'stopping' | 'stopped' = 'new'
  #lastHeartbeatAt = Number.NEGATIVE_INFINITY
  #schedule: HeartbeatSchedule
  #lastSweepAt = Number.NEGATIVE_INFINITY
  #skippedSweep = false
  /** Registrations and tombstones signed this turn, pushed together on the next (see #publish). */
  readonly #outbox: Entry[] = []
  #pushQueued = false
  /** Set when this node registered or deregistered with no neighbour to push to. */
  #unannounced = false
  #announcedAt = Number.NEGATIVE_INFINITY
  /** Set while stop() waits for neighbours to confirm its tombstones. */
  #leave: Leave | undefined
  /** Who this node's heartbeats list, and whom it attests (attestation.ts). */
  readonly #neighbours: NeighbourLog
  readonly #attestation: AttestationView
  #neighboursAnnounceQueued = false

  constructor(init: MeshInit) {
    this.transport = init.transport
    this.scheduler = init.scheduler
    this.config = init.config
    this.#random = init.random ?? Math.random
    this.#decodeFrame = init.decodeFrame ?? decodeFrame
    this.#advertisedHost = init.advertisedHost ?? '127.0.0.1'
    this.replica = new Replica({
      cluster: init.config.cluster,
      limits: init.config.limits,
      ownerRetentionMs: init.config.ownerRetentionMs,
      self: init.signer.ownerId,
      ...(init.openStatement === undefined ? {} : { openStatement: init.openStatement }),
      ...(init.ownerDirectory === undefined ? {} : { ownerDirectory: init.ownerDirectory }),
    })
    this.#exchanges = new Exchanges({
      replica: this.replica,
      config: init.config,
      scheduler: init.scheduler,
      random: this.#random,
      send: (peer, frames) => this.#sendFrames(peer, frames),
      running: () => this.#state === 'running',
      counters: this.#stats,
    })
    this.#owner = new LocalOwner(
      init.signer,
      init.incarnation ?? nextIncarnation(init.scheduler.now()),
      this.replica.limits,
      init.config.defaultTtlMs,
      this.replica.domain,
    )
    this.#schedule = heartbeatSchedule(init.config, 1)
    this.#neighbours = new NeighbourLog(init.signer.publicKey, init.config.defaultTtlMs)
    this.#attestation = new AttestationView({
      set: this.replica.set,
      scheduler: init.scheduler,
      windowMs: init.config.defaultTtlMs,
      roots: () => [this.peerId, ...this.transport.peers()],
    })
  }

  /** Signs this node's statements; replaced when it moves to a higher incarnation. */
  get owner(): LocalOwner {
    return this.#owner
  }

  /** This node's peer ID (the owner of its registrations). */
  get peerId(): string {
    return this.owner.ownerId
  }

  advertisedHost(): string {
    return this.#advertisedHost
  }

  get running(): boolean {
    return this.#state === 'running'
  }

  /** Starts the transport, then heartbeats, anti-entropy and expiry. Once. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new InvalidArgumentError('a mesh starts once')
    this.#state = 'running'
    await this.transport.start({
      onFrame: (from, frame, route) => this.#onFrame(from, frame, route),
      onPeer: (event) => this.#onPeer(event),
    })
    for (const peer of this.transport.peers()) {
      this.replica.admission.connected(peer)
      this.#neighbours.connected(peer)
    }
    this.#lastSweepAt = this.scheduler.now()
    this.#every(
      () => this.#heartbeatDelay(),
      () => this.#heartbeat(),
    )
    this.#every(
      () => this.#expiryDelay(),
      () => this.#expire(),
    )
    this.#every(
      () => this.#schedule.antiEntropyIntervalMs,
      () => this.#exchanges.requestRandom(this.transport.peers()),
    )
    this.#heartbeat()
  }

  /**
   * Registers (or re-registers) an instance owned by this node. It is live here at once and
   * pushed to the cluster on the next turn of the scheduler.
   */
  async register(spec: InstanceSpec): Promise<RegistrationHandle> {
    this.#assertRunning()
    if (spec === null || typeof spec !== 'object')
      throw new InvalidArgumentError('register takes an InstanceSpec object')
    const statement = this.owner.register(spec, this.scheduler.now())
    this.#specs.set(statement.key, { ...spec })
    this.#publish(statement)
    return this.#handle(statement.key)
  }

  /**
   * Re-signs an instance this node owns with a leadership claim (the election's term for it);
   * its other fields stay as last registered. Returns false if it is not registered here.
   */
  async claimLeadership(key: string, term: number): Promise<boolean> {
    this.#assertRunning()
    const spec = this.#specs.get(key)
    if (spec === undefined) return false
    this.#publish(this.owner.register(spec, this.scheduler.now(), term))
    return true
  }

  /** Deletes an instance this node owns. Returns false if it is not registered. */
  async deregister(key: string): Promise<boolean> {
    this.#assertRunning()
    const spec = this.#specs.get(key)
    if (spec === undefined) {
      const held = this.replica.set.get(key)
      if (held !== undefined && held.statement.owner !== this.peerId) {
        throw new OwnerMismatchError(
          `instance ${key} belongs to ${held.statement.owner}, not to this node`,
        )
      }
      return false
    }
    this.#specs.delete(key)
    const statement = this.owner.deregister(
      this.peerId,
      spec.service,
      spec.id,
      spec.ttlMs ?? this.config.defaultTtlMs,
    )
    this.#publish(statement)
    return true
  }

  /** Live instances of one service. */
  lookup(service: string): Instance[] {
    if (typeof service !== 'string') throw new InvalidArgumentError('lookup takes a service name')
    return this.replica.set.instances(service)
  }

  /** All live instances. */
  services(): Instance[] {
    return this.replica.set.instances()
  }

  /** Keys of the instances this node owns. */
  ownKeys(): string[] {
    return [...this.#specs.keys()]
  }

  /**
   * Watches one service (or all): yields a snapshot of the current instances first, then every
   * change. Ends when the signal aborts, the iterator is returned, or the mesh stops.
   */
  watch(
    service?: string,
    options: { signal?: AbortSignal } = {},
  ): AsyncIterableIterator<WatchEvent> {
    if (service !== undefined && typeof service !== 'string')
      throw new InvalidArgumentError('watch takes a service name')
    const listener: ChangeListener = (changes) => {
      for (const change of changes) {
        if (service === undefined || change.instance.service === service) queue.push(change)
      }
    }
    const queue: EventQueue<WatchEvent> = new EventQueue<WatchEvent>(() => {
      this.#listeners.delete(listener)
      this.#watchers.delete(queue)
    }, options.signal)
    if (!queue.closed) {
      queue.push({
        type: 'snapshot',
        instances: service === undefined ? this.services() : this.lookup(service),
      })
      this.#listeners.add(listener)
      this.#watchers.add(queue)
      if (this.#state === 'stopped') queue.close()
    }
    return queue
  }

  /** Calls `listener` synchronously with every batch of changes; returns the unsubscribe function. */
  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  peers(): string[] {
    return this.transport.peers()
  }

  /**
   * Live nodes this node counts (for its heartbeat schedule and an election's quorum): owners
   * alive by their heartbeats that it or a connected neighbour vouches for (admission.ts).
   */
  liveNodes(): string[] {
    const set = this.replica.set
    return this.#vouchedAmong(set.liveOwners(this.scheduler.now(), this.config.defaultTtlMs))
  }

  /** The owners of `owners` this node vouches for (admission.ts), in their order. */
  #vouchedAmong(owners: readonly string[]): string[] {
    const set = this.replica.set
    return this.replica.admission.vouchedLive(owners, {
      stretchFor: (nodes) =>
        heartbeatSchedule(this.config, nodes).heartbeatIntervalMs / this.config.heartbeatIntervalMs,
      stretchOf: (owner) => {
        const heartbeat = set.ownerEntries(owner)[0]?.statement
        const leaseMs = heartbeat?.kind === 'heartbeat' ? heartbeat.leaseMs : 0
        return Math.max(1, leaseMs / this.config.defaultTtlMs)
      },
    })
  }

  /**
   * Whether `owner` is attested: reachable from this node and its neighbours along the
   * neighbours that live owners' heartbeats list (src/membership/attestation.ts).
   */
  attested(owner: string): boolean {
    return this.#attestation.has(owner)
  }

  /** Calls `listener` after every change of the attested owners; returns the remover. */
  onAttestationChange(listener: () => void): () => void {
    return this.#attestation.onChange(listener)
  }

  heartbeatCapacity(): number {
    return heartbeatCapacity(this.config)
  }

  /** The heartbeat schedule this node follows now (it changes with the cluster's size). */
  get heartbeatSchedule(): HeartbeatSchedule {
    return this.#schedule
  }

  /** A snapshot of the counters. */
  stats(): MeshStats {
    const { set, stats } = this.replica
    return {
      ...stats,
      rejected: { ...stats.rejected },
      quota: { ...stats.quota },
      ...this.#stats,
      statementsHeld: set.size,
      ownersHeld: set.ownerCount,
      bytesHeld: set.bytes,
    }
  }

  /**
   * Runs anti-entropy with one neighbour now: over every owner, or over `owners` only (see
   * exchange.ts).
   */
  syncWith(peer: string, owners?: readonly string[]): Promise<void> {
    return this.#exchanges.syncWith(peer, owners)
  }

  /**
   * Publishes tombstones for every instance this node owns, waits until every neighbour confirmed
   * holding them (at most `leaveTimeoutMs`), then closes.
   */
  async stop(): Promise<void> {
    if (this.#state !== 'running') {
      this.#state = 'stopped'
      return
    }
    this.#state = 'stopping'
    for (const cancel of this.#timers) cancel()
    this.#exchanges.close()
    for (const [key, spec] of this.#specs) {
      this.#specs.delete(key)
      this.#publish(
        this.owner.deregister(
          this.peerId,
          spec.service,
          spec.id,
          spec.ttlMs ?? this.config.defaultTtlMs,
        ),
      )
    }
    if (this.#outbox.length > 0) {
      await this.#push()
      await this.#confirmLeave()
    }
    this.#state = 'stopped'
    await this.transport.stop()
    for (const watcher of [...this.#watchers]) watcher.close()
    this.#listeners.clear()
  }

  /** Waits until every neighbour confirmed it holds this node's tombstones (see leave.ts). */
  async #confirmLeave(): Promise<void> {
    const set = this.replica.set
    const leave = new Leave({
      peers: this.transport.peers(),
      send: (peer) => {
        const frames = packFrames(
          set.ownerEntries(this.peerId),
          this.scheduler.now(),
          this.replica.limits.maxFrameBytes,
          set.digest([this.peerId]),
          true,
        )
        return this.#sendFrames(peer, frames)
      },
      scheduler: this.scheduler,
      // Leave frames are small: resending them often costs little and outlasts a lossy link.
      resendMs: this.config.syncBackoffMs,
      timeoutMs: this.config.leaveTimeoutMs,
    })
    this.#leave = leave
    const outcome = await leave.run()
    this.#leave = undefined
    this.#stats.leaveConfirmed += outcome.confirmed
    this.#stats.leaveUnconfirmed += outcome.unconfirmed
  }

  /** A peer's digest confirms a leave unless it summarises this owner otherwise than here. */
  #confirmsLeave(digest: Digest): boolean {
    const set = this.replica.set
    return digest.owners.every((s) => s.ownerId !== this.peerId || set.agreesWith(s))
  }

  #handle(key: string): RegistrationHandle {
    const current = (): Instance => {
      const entry = this.replica.set.get(key)
      if (entry?.statement.kind !== 'registration')
        throw new InvalidArgumentError(`instance ${key} is not registered`)
      return entry.statement.instance
    }
    return {
      key,
      get instance() {
        return current()
      },
      update: async (changes) => {
        const spec = this.#specs.get(key)
        if (spec === undefined) throw new InvalidArgumentError(`instance ${key} is not registered`)
        await this.register({ ...spec, ...changes, service: spec.service, id: spec.id })
        return current()
      },
      deregister: async () => {
        if (this.#state === 'running') await this.deregister(key)
      },
    }
  }

  /** Merges a registration or tombstone this node signed and queues it for the next push. */
  #publish(statement: Statement): void {
    const now = this.scheduler.now()
    this.#emit(this.replica.applyVerified(statement, 0, now).changes)
    this.#outbox.push({ statement, refreshedAt: now })
    if (this.transport.peers().length === 0) this.#unannounced = true
    if (this.#pushQueued) return
    this.#pushQueued = true
    this.scheduler.setTimer(0, () => {
      this.#pushQueued = false
      if (this.#state === 'running' && this.#outbox.length > 0) void this.#push()
    })
  }

  /**
   * Broadcasts what the outbox holds with a fresh heartbeat, and returns the frames. A registration or tombstone
   * changes this owner's live digest: the heartbeat in the same frame lets every receiver match
   * the new view at once, instead of seeing a mismatch and asking for a sync until the next one.
   */
  async #push(): Promise<Uint8Array[]> {
    const now = this.scheduler.now()
    const entries = this.#outbox.splice(0)
    entries.push(this.#freshHeartbeat(now))
    const frames = packFrames(entries, now, this.replica.limits.maxFrameBytes)
    await this.#broadcastFrames(frames)
    return frames
  }

  /** Pushes every statement this node owns again: changes made while it had no neighbour reached nobody. */
  async #announce(): Promise<void> {
    this.#unannounced = false
    this.#outbox.length = 0
    const now = this.scheduler.now()
    this.#announcedAt = now
    this.#freshHeartbeat(now)
    const entries = this.replica.set.ownerEntries(this.peerId)
    await this.#broadcastFrames(packFrames(entries, now, this.replica.limits.maxFrameBytes))
  }

  /** Signs a heartbeat for this node's current view of itself and merges it locally. */
  #freshHeartbeat(now: number): Entry {
    const heartbeat = this.owner.heartbeat(
      this.replica.set,
      this.#schedule.leaseMs,
      this.#neighbours.list(now),
    )
    this.replica.applyVerified(heartbeat, 0, now)
    this.#attestation.heartbeatApplied(heartbeat)
    return { statement: heartbeat, refreshedAt: now }
  }

  #heartbeatDelay(): number {
    const { heartbeatIntervalMs, leaseMs } = this.#schedule
    if (leaseMs === 0) return heartbeatIntervalMs
    return heartbeatIntervalMs * (1 - STRETCHED_HEARTBEAT_JITTER * this.#random())
  }

  /**
   * A verified statement of this owner from an incarnation above its own: an earlier run that
   * outranks this one (its incarnation file lost while the clock is behind). Every peer would
   * drop what this run signs, so it moves above that incarnation and signs its registrations
   * again; its earlier run's records are then superseded everywhere.
   */
  #reincarnateAbove(incarnation: bigint): void {
    const { signer, limits, defaultTtlMs, domain } = this.#owner
    this.#owner = new LocalOwner(signer, incarnation + 1n, limits, defaultTtlMs, domain)
    this.#stats.reincarnations++
    for (const spec of this.#specs.values())
      this.#publish(this.#owner.register(spec, this.scheduler.now()))
    this.#heartbeat()
  }

  #heartbeat(): void {
    if (this.#state !== 'running') return
    this.#lastHeartbeatAt = this.scheduler.now()
    this.#schedule = heartbeatSchedule(this.config, this.liveNodes().length)
    void this.#push()
  }

  /** Until the next sweep: the interval, or less when the set's next due comes first (not right after a skipped sweep). */
  #expiryDelay(): number {
    const interval = this.config.expiryIntervalMs
    if (this.#skippedSweep) return interval
    const untilDue = this.replica.set.nextExpiry() - this.scheduler.now()
    return untilDue < interval ? Math.max(0, untilDue) : interval
  }

  #expire(): void {
    const now = this.scheduler.now()
    // After a stall (a busy event loop) the expiry timer can fire before a late heartbeat
    // timer. Vouch for this node's own instances first: a running owner must never expire
    // them, or its next heartbeats would vouch for none and every replica would drop them.
    if (now - this.#lastHeartbeatAt > this.#schedule.heartbeatIntervalMs) this.#heartbeat()
    // Timers run before I/O, so after a stall the refreshes that keep peers alive may still sit
    // unread in socket buffers. Skip one sweep (never two in a row) so they are read first.
    const stalled =
      now - this.#lastSweepAt > this.config.expiryIntervalMs + this.#schedule.heartbeatIntervalMs
    this.#lastSweepAt = now
    if (stalled && !this.#skippedSweep) {
      this.#skippedSweep = true
      return
    }
    this.#skippedSweep = false
    this.#emit(this.replica.expire(now))
    this.#attestation.check()
  }

  /** Signs a heartbeat listing a new neighbour soon (one for a burst of connections). */
  #announceNeighbours(): void {
    if (this.#neighboursAnnounceQueued) return
    this.#neighboursAnnounceQueued = true
    this.scheduler.setTimer(NEIGHBOUR_ANNOUNCE_MS, () => {
      this.#neighboursAnnounceQueued = false
      this.#heartbeat()
    })
  }

  #onPeer(event: PeerEvent): void {
    if (event.type === 'disconnected') {
      this.#leave?.disconnected(event.peer)
      this.#exchanges.forget(event.peer)
      this.replica.admission.disconnected(event.peer)
      this.#neighbours.disconnected(event.peer, this.scheduler.now())
    } else {
      this.replica.admission.connected(event.peer)
      if (this.#neighbours.connected(event.peer) && this.#state === 'running')
        this.#announceNeighbours()
    }
    this.#attestation.peersChanged()
    if (this.#state !== 'running') return
    if (event.type !== 'connected') return
    if (this.#unannounced) void this.#announce()
    if (this.peerId > event.peer) return
    const sync = (): void => this.#exchanges.request(event.peer)
    // Just announced: so did every node that started with it, most likely. Waiting lets their
    // pushes land first, so the digest is current and the answer does not repeat them.
    const wait = this.#announcedAt + this.config.syncBackoffMs - this.scheduler.now()
    if (wait <= 0) sync()
    else
      this.scheduler.setTimer(wait, () => {
        if (this.#state === 'running') sync()
      })
  }

  /**
   * Decodes and merges a frame, answers what it asks, and says whether a broadcast one is worth
   * relaying. A frame is read up to its first forged statement (REJECTION_CLASS): no honest node
   * sends one, so nothing after it is worth a verification (one large frame repeating a bad
   * signature costs one). A broadcast carries statements only: a digest there would have every
   * node of the cluster answer it.
   */
  #onFrame(from: string, bytes: Uint8Array, route: FrameRoute): FrameVerdict {
    const leave = this.#leave
    if (this.#state !== 'running' && leave === undefined) return 'ignore'
    this.#stats.framesReceived++
    this.#stats.bytesReceived += bytes.byteLength
    let frame: FrameContent
    try {
      frame = this.#decodeFrame(bytes, this.replica.limits)
      if (
        route === 'broadcast' &&
        (frame.digest !== undefined || frame.buckets !== undefined || frame.wantReply)
      )
        throw new ProtocolViolationError('a broadcast frame carries a digest')
    } catch (err) {
      this.#stats.framesRejected++
      return verdictOf(this.replica.reject(err).error)
    }
    // An answer asks for nothing back; requests (a pull, another leaver's digest) never confirm.
    if (leave !== undefined && frame.digest !== undefined && !frame.wantReply)
      leave.answered(from, this.#confirmsLeave(frame.digest))
    const now = this.scheduler.now()
    this.#attestation.heardFrom(from)
    const changes: ServiceChange[] = []
    let verdict: FrameVerdict = 'accept'
    for (const gossip of frame.gossip) {
      const result = this.replica.receive(gossip, now, from)
      if (result.changes.length > 0) changes.push(...result.changes)
      const own = result.statement
      if (own?.kind === 'heartbeat' && result.outcome === 'accepted')
        this.#attestation.heartbeatApplied(own)
      if (own?.owner === this.peerId && own.version.incarnation > this.owner.incarnation)
        this.#reincarnateAbove(own.version.incarnation)
      if (result.ownerOutOfSync !== undefined && result.ownerOutOfSync !== this.peerId)
        this.#exchanges.wantPull(result.ownerOutOfSync, from)
      const judged = verdictOf(result.error)
      if (judged === 'reject') {
        verdict = judged
        this.#stats.framesRejected++
        break
      }
      if (judged === 'ignore') verdict = judged
    }
    this.#emit(changes)
    if (verdict === 'reject') return verdict
    this.#exchanges.answer(from, frame)
    // A leaving node still merges and answers (another leaver may wait for it) but pulls nothing.
    if (leave !== undefined) return verdict
    this.#exchanges.pullWanted()
    return verdict
  }

  #emit(changes: readonly ServiceChange[]): void {
    if (changes.length === 0) return
    for (const listener of [...this.#listeners]) {
      try {
        listener(changes)
      } catch {
        // A listener's failure is its own; it must not break the protocol loop.
      }
    }
  }

  async #broadcastFrames(frames: Uint8Array[]): Promise<void> {
    for (const frame of frames) {
      this.#stats.framesSent++
      this.#stats.bytesSent += frame.byteLength
      await this.transport.broadcast(frame)
    }
  }

  async #sendFrames(peer: string, frames: Uint8Array[]): Promise<void> {
    for (const frame of frames) {
      this.#stats.framesSent++
      this.#stats.bytesSent += frame.byteLength
      await this.transport.send(peer, frame)
    }
  }

  /** Runs `fn` repeatedly, each time after the interval `intervalMs()` gives when it is armed. */
  #every(intervalMs: () => number, fn: () => void): void {
    let cancel = (): void => undefined
    const schedule = (): void => {
      cancel = this.scheduler.setTimer(intervalMs(), () => {
        if (this.#state !== 'running') return
        fn()
        schedule()
      })
    }
    schedule()
    this.#timers.push(() => cancel())
  }

  #assertRunning(): void {
    if (this.#state !== 'running') throw new InvalidArgumentError('the mesh is not running')
  }
}
