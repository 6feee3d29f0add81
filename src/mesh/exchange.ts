/**
 * The anti-entropy driver of one mesh: the exchanges it opens, the answers it gives and the
 * pulls its heartbeats ask for. The digests and deltas themselves are the service set's
 * (membership/digests.ts); this is when and with whom they are traded.
 *
 * - Opening: over every owner, or over some owners only (a pull). Over every owner of a replica
 *   beyond the heartbeat capacity it opens with bucket fingerprints instead: a summary of every
 *   owner would grow with the cluster. Within it the summaries are small, and an exchange that
 *   opens with them brings what is missing in one round trip instead of two.
 * - Answering: a request is answered with what its sender lacks and, when asked, this replica's
 *   summaries that differ; only while the sender's reply budget lasts (reply-budget.ts), checked
 *   before the answer is computed. The answer that asks nothing back ends the exchange.
 * - Pulls: owners whose heartbeat showed this replica behind are pulled from, the first of them
 *   (or the forwarding neighbour when that owner is not reachable), at most one per
 *   `syncBackoffMs`, so one pull gathers what several heartbeats pointed at. Beyond the heartbeat
 *   capacity a pull lists just the wanted owners, so its cost does not grow with the cluster;
 *   past that many wanted owners, one exchange over every owner replaces the list.
 * - One exchange at a time (sync-queue.ts), so each request's digest includes the previous
 *   answers.
 */

import type { Digest } from '../membership/digests.ts'
import type { Entry } from '../membership/entry.ts'
import { encodeFrame, type FrameContent, packFrames } from '../membership/frame.ts'
import type { Replica } from '../membership/replica.ts'
import { heartbeatCapacity, type MeshConfig } from './config.ts'
import { ReplyBudget } from './reply-budget.ts'
import type { Scheduler } from './scheduler.ts'
import { SyncQueue } from './sync-queue.ts'

/** How many sync backoffs an exchange may wait for its answer before the next one starts. */
const SYNC_REPLY_WAIT_BACKOFFS = 4

/** A pull covers every owner when at least 1/FULL_PULL_SHARE of the owners held are out of sync. */
const FULL_PULL_SHARE = 4

/** The counters an exchange driver adds to (the mesh's). */
export interface ExchangeCounters {
  syncsStarted: number
  answersRefused: number
}

/** What an exchange driver runs on. */
export interface ExchangeInit {
  replica: Replica
  config: MeshConfig
  scheduler: Scheduler
  random: () => number
  /** Sends frames to one neighbour; rejects when it cannot be reached. */
  send: (peer: string, frames: Uint8Array[]) => Promise<void>
  /** False once the mesh stopped running: a pull waiting for its backoff is dropped then. */
  running: () => boolean
  counters: ExchangeCounters
}

export class Exchanges {
  readonly #replica: Replica
  readonly #config: MeshConfig
  readonly #scheduler: Scheduler
  readonly #random: () => number
  readonly #send: (peer: string, frames: Uint8Array[]) => Promise<void>
  readonly #running: () => boolean
  readonly #counters: ExchangeCounters
  readonly #syncs: SyncQueue
  readonly #replyBudget: ReplyBudget
  /**
   * Owners whose heartbeat showed this replica behind, with the neighbour that forwarded it: at
   * most the heartbeat capacity of them (see wantPull).
   */
  readonly #pullsWanted = new Map<string, string>()
  /** A neighbour to compare every owner with, once more owners were behind than are listed. */
  #pullEverythingFrom: string | undefined
  #lastPullAt = Number.NEGATIVE_INFINITY
  #pullScheduled = false

  constructor(init: ExchangeInit) {
    this.#replica = init.replica
    this.#config = init.config
    this.#scheduler = init.scheduler
    this.#random = init.random
    this.#send = init.send
    this.#running = init.running
    this.#counters = init.counters
    this.#syncs = new SyncQueue(
      (peer, owners) => this.syncWith(peer, owners),
      init.scheduler,
      SYNC_REPLY_WAIT_BACKOFFS * init.config.syncBackoffMs,
    )
    this.#replyBudget = new ReplyBudget(
      init.config.replyBytesPerSecond,
      init.config.replyBurstBytes,
      init.scheduler,
    )
  }

  /**
   * Opens an exchange with one neighbour now: over every owner, or over `owners` only (opening
   * with their summaries); over every owner beyond the heartbeat capacity, with bucket
   * fingerprints.
   */
  async syncWith(peer: string, owners?: readonly string[]): Promise<void> {
    this.#counters.syncsStarted++
    const set = this.#replica.set
    const frames =
      owners === undefined && set.ownerCount > heartbeatCapacity(this.#config)
        ? [encodeFrame({ gossip: [], buckets: set.bucketDigest(), wantReply: false })]
        : packFrames(
            [],
            this.#scheduler.now(),
            this.#replica.limits.maxFrameBytes,
            set.digest(owners),
            true,
          )
    await this.#send(peer, frames)
  }

  /** Queues an exchange over every owner with `peer`. */
  request(peer: string): void {
    this.#syncs.request(peer)
  }

  /** Queues an exchange over every owner with one neighbour drawn at random. */
  requestRandom(peers: readonly string[]): void {
    if (peers.length === 0) return
    const peer = peers[Math.floor(this.#random() * peers.length) % peers.length] as string
    this.#syncs.request(peer)
  }

  /** Answers what a frame from `from` asks (bucket fingerprints, a digest), within its budget. */
  answer(from: string, frame: FrameContent): void {
    if (frame.buckets === undefined && frame.digest === undefined) return
    if (!this.#replyBudget.allows(from)) {
      // Refused before computing the answer: its cost is what the budget bounds.
      this.#counters.answersRefused++
      if (frame.digest !== undefined && !frame.wantReply) this.#syncs.answered(from)
      return
    }
    if (frame.buckets !== undefined) {
      const answer = this.#replica.set.bucketAnswer(frame.buckets)
      this.#reply(from, [], answer, answer.covered !== undefined)
    }
    if (frame.digest !== undefined) this.#answerDigest(from, frame.digest, frame.wantReply)
  }

  /**
   * Notes an owner to pull, heard of from `from`. Past the heartbeat capacity of them, one
   * exchange over every owner with `from` replaces the list: it opens with bucket fingerprints,
   * smaller than a digest listing that many owners, and a node that starts into a large cluster
   * (heartbeats outrunning registrations from thousands of owners) would otherwise list each.
   */
  wantPull(owner: string, from: string): void {
    if (this.#pullsWanted.size < heartbeatCapacity(this.#config) || this.#pullsWanted.has(owner))
      this.#pullsWanted.set(owner, from)
    else this.#pullEverythingFrom = from
  }

  /** Pulls what heartbeats asked for, now or once the backoff since the last pull has passed. */
  pullWanted(): void {
    if (this.#pullsWanted.size > 0 || this.#pullEverythingFrom !== undefined) this.#schedulePull()
  }

  /** A neighbour disconnected: its reply budget is dropped. */
  forget(peer: string): void {
    this.#replyBudget.forget(peer)
  }

  /** Drops every exchange waiting; nothing starts afterwards. */
  close(): void {
    this.#syncs.close()
  }

  /**
   * Sends the peer what its digest shows it lacks and, when it asks, this replica's summaries
   * that differ from it. A digest that asks nothing ends this node's exchange with the peer.
   * A digest answering this node's bucket digest (it covers buckets) is answered asking back
   * for the peer's delta when any summary differs; otherwise the exchange ends there.
   */
  #answerDigest(from: string, digest: Digest, wantReply: boolean): void {
    const set = this.#replica.set
    const delta = set.delta(digest)
    let reply = wantReply ? set.differences(digest) : undefined
    const opening = digest.covered !== undefined
    if (opening && reply?.owners.length === 0) reply = undefined
    if (delta.length > 0 || reply !== undefined)
      this.#reply(from, delta, reply, opening && reply !== undefined)
    if (!wantReply || (opening && reply === undefined)) this.#syncs.answered(from)
  }

  #reply(
    peer: string,
    entries: readonly Entry[],
    digest: Digest | undefined,
    wantReply: boolean,
  ): void {
    const frames = packFrames(
      entries,
      this.#scheduler.now(),
      this.#replica.limits.maxFrameBytes,
      digest,
      wantReply,
    )
    let bytes = 0
    for (const frame of frames) bytes += frame.byteLength
    this.#replyBudget.spend(peer, bytes)
    void this.#send(peer, frames).catch(() => undefined)
  }

  /** Pulls for one wanted owner now, or once `syncBackoffMs` has passed since the last pull. */
  #schedulePull(): void {
    if (this.#pullScheduled) return
    const wait = this.#lastPullAt + this.#config.syncBackoffMs - this.#scheduler.now()
    if (wait <= 0) {
      this.#pullNext()
      return
    }
    this.#pullScheduled = true
    this.#scheduler.setTimer(wait, () => {
      this.#pullScheduled = false
      if (this.#running()) this.#pullNext()
    })
  }

  /**
   * Pulls from the first wanted owner still out of sync: it holds everything it vouched for.
   * Falls back to the forwarding neighbour when that owner is not reachable. A scoped pull also
   * lists the other wanted owners (a peer that heard their heartbeats most likely holds theirs
   * too); those still out of sync after it are pulled from their own owners in turn. When more
   * owners were behind than the list holds, one exchange over every owner replaces it.
   */
  #pullNext(): void {
    const everyOwnerFrom = this.#pullEverythingFrom
    if (everyOwnerFrom !== undefined) {
      this.#pullEverythingFrom = undefined
      this.#pullsWanted.clear()
      this.#lastPullAt = this.#scheduler.now()
      this.#syncs.request(everyOwnerFrom)
      return
    }
    for (const owner of this.#pullsWanted.keys())
      if (this.#replica.set.inSyncWith(owner)) this.#pullsWanted.delete(owner)
    const [first] = this.#pullsWanted.keys()
    if (first === undefined) return
    const forwarder = this.#pullsWanted.get(first)
    this.#pullsWanted.delete(first)
    this.#lastPullAt = this.#scheduler.now()
    const scope = this.#pullCoversAll() ? undefined : [first, ...this.#pullsWanted.keys()]
    this.#syncs.request(first, forwarder, scope)
    if (this.#pullsWanted.size > 0) this.#schedulePull()
  }

  /**
   * Whether a pull compares every owner. In a cluster within the heartbeat capacity the digest
   * is small, and a full exchange with a peer that holds more also brings what the heartbeats
   * still on their way would point at. Beyond it a full digest per pull would grow with the
   * cluster, so a pull covers every owner only when a large share of those held are out of
   * sync (a node back from isolation).
   */
  #pullCoversAll(): boolean {
    const set = this.#replica.set
    if (set.ownerCount <= heartbeatCapacity(this.#config)) return true
    return set.unsyncedOwnerCount() * FULL_PULL_SHARE >= set.ownerCount
  }
}
