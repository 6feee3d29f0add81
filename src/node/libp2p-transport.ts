/**
 * The membership `Transport` over libp2p. It owns the libp2p node: `start` starts it and
 * `stop` flushes and closes it.
 *
 * - broadcast: a gossipsub publish on `gossip-sd/<cluster>/1`. Statements carry their owner's
 *   signature already, so messages are unsigned (StrictNoSign) and identified by a hash of their
 *   content: a duplicate arriving over two paths is dropped without a second verification.
 *   Received messages are handed to the mesh from the topic validator, before gossipsub relays
 *   them: only frames the mesh accepts are relayed, and one it rejects counts against the peer
 *   that sent it in gossipsub's score (libp2p-config.ts), which soon stops listening to it.
 * - send: length-prefixed frames on `/gossip-sd/<cluster>/sync/1.0.0`. One long-lived outbound
 *   stream per neighbour, opened on first use, writes serialised; replies come back on the
 *   neighbour's own outbound stream, so each stream is one-way and needs no framing of turns.
 * - peers: connected peers whose identify shows the sync protocol (a registrar topology), so
 *   libp2p nodes of other clusters or other programs are never neighbours.
 *
 * Reads are bounded: a length prefix above `maxFrameBytes` aborts the stream before its body is
 * read, and is counted; a frame that is merely malformed is handed on and the mesh counts it.
 */
import type { GossipSub, GossipsubEvents } from '@chainsafe/libp2p-gossipsub'
import {
  type Libp2p,
  type Message,
  type PeerId,
  type PubSub,
  type Stream,
  TopicValidatorResult,
} from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type LengthPrefixedStream, lpStream } from 'it-length-prefixed-stream'
import { InvalidArgumentError } from '../membership/errors.ts'
import type {
  FrameVerdict,
  PeerEvent,
  Transport,
  TransportHandlers,
} from '../membership/transport.ts'

/** `send` to a peer that is not a connected neighbour, or whose stream failed. */
export class PeerUnreachableError extends InvalidArgumentError {
  constructor(peer: string, reason: string) {
    super(`peer ${peer} is unreachable: ${reason}`)
  }
}

export type GossipServices = { pubsub: PubSub<GossipsubEvents> }

export interface Libp2pTransportInit {
  libp2p: Libp2p<GossipServices>
  cluster: string
  /** Largest frame read from a peer (on the sync protocol and from gossipsub). */
  maxFrameBytes: number
  /** Timeout for opening a sync stream. */
  dialTimeoutMs: number
}

/** Counters of the libp2p transport's sync streams. */
export interface TransportStats {
  /** Sync streams aborted because a peer announced a frame above maxFrameBytes. */
  oversizeFrames: number
  /** Sync streams that failed for any other reason than a clean end. */
  streamErrors: number
  /** Gossipsub messages handed to the mesh. */
  messagesReceived: number
  /** Of those, the ones the mesh rejected: not relayed, and held against the peer that sent them. */
  messagesRejected: number
  /** Of those, the ones the mesh ignored: not relayed, nobody blamed. */
  messagesIgnored: number
}

const VALIDATOR_RESULT: Readonly<Record<FrameVerdict, TopicValidatorResult>> = Object.freeze({
  accept: TopicValidatorResult.Accept,
  reject: TopicValidatorResult.Reject,
  ignore: TopicValidatorResult.Ignore,
})

export function topicOf(cluster: string): string {
  return `gossip-sd/${cluster}/1`
}

export function syncProtocolOf(cluster: string): string {
  return `/gossip-sd/${cluster}/sync/1.0.0`
}

interface Channel {
  readonly stream: Stream
  readonly frames: LengthPrefixedStream<Stream>
  /** Tail of the write queue: writes on one stream never interleave. */
  tail: Promise<void>
}

const LENGTH_ERRORS = new Set([
  'InvalidDataLengthError',
  'InvalidDataLengthLengthError',
  'InvalidMessageLengthError',
])

export class Libp2pTransport implements Transport {
  readonly localPeer: string
  readonly libp2p: Libp2p<GossipServices>
  readonly topic: string
  readonly protocol: string
  readonly stats: TransportStats = {
    oversizeFrames: 0,
    streamErrors: 0,
    messagesReceived: 0,
    messagesRejected: 0,
    messagesIgnored: 0,
  }
  readonly #maxFrameBytes: number
  readonly #dialTimeoutMs: number
  readonly #peers = new Set<string>()
  readonly #channels = new Map<string, Promise<Channel>>()
  readonly #peerListeners = new Set<(event: PeerEvent) => void>()
  #handlers: TransportHandlers | undefined
  #topologyId: string | undefined

  constructor(init: Libp2pTransportInit) {
    this.libp2p = init.libp2p
    this.localPeer = init.libp2p.peerId.toString()
    this.topic = topicOf(init.cluster)
    this.protocol = syncProtocolOf(init.cluster)
    this.#maxFrameBytes = init.maxFrameBytes
    this.#dialTimeoutMs = init.dialTimeoutMs
  }

  /** Peers in gossipsub's mesh for the cluster's topic: those this node forwards every frame to. */
  meshPeers(): number {
    // The PubSub face gossipsub is typed by does not show its mesh; the service is a GossipSub.
    return (this.libp2p.services.pubsub as GossipSub).getMeshPeers(this.topic).length
  }

  async start(handlers: TransportHandlers): Promise<void> {
    this.#handlers = handlers
    await this.libp2p.handle(this.protocol, ({ stream, connection }) => {
      void this.#readFrames(stream, connection.remotePeer.toString())
    })
    this.#topologyId = await this.libp2p.register(this.protocol, {
      onConnect: (peer) => this.#peerEvent('connected', peer),
      onDisconnect: (peer) => this.#peerEvent('disconnected', peer),
    })
    this.libp2p.services.pubsub.topicValidators.set(this.topic, this.#validate)
    await this.libp2p.start()
    this.libp2p.services.pubsub.subscribe(this.topic)
  }

  async broadcast(frame: Uint8Array): Promise<void> {
    try {
      await this.libp2p.services.pubsub.publish(this.topic, frame)
    } catch {
      // Best effort by contract: anti-entropy repairs what a failed publish loses.
    }
  }

  async send(peer: string, frame: Uint8Array): Promise<void> {
    if (!this.#peers.has(peer)) throw new PeerUnreachableError(peer, 'not a connected neighbour')
    const pending = this.#channel(peer)
    let channel: Channel
    try {
      channel = await pending
    } catch (err) {
      throw new PeerUnreachableError(peer, err instanceof Error ? err.message : String(err))
    }
    const write = channel.tail.then(() => channel.frames.write(frame))
    channel.tail = write.catch(() => undefined)
    try {
      await write
    } catch (err) {
      this.#dropChannel(peer, pending)
      channel.stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw new PeerUnreachableError(peer, err instanceof Error ? err.message : String(err))
    }
  }

  peers(): string[] {
    return [...this.#peers]
  }

  /** Adds a listener for neighbour changes (besides the mesh's); returns the remover. */
  onPeerEvent(listener: (event: PeerEvent) => void): () => void {
    this.#peerListeners.add(listener)
    return () => this.#peerListeners.delete(listener)
  }

  /**
   * Flushes, then stops libp2p. Gossipsub hands a publish to a per-peer queue that a stream
   * drains asynchronously, and its stop() clears queues that were not drained yet: yielding to
   * the event loop first lets the last broadcasts (the tombstones of stop()) reach the sockets,
   * and closing our sync streams waits for their writes. libp2p then closes each connection
   * gracefully, which sends what the muxer still buffers.
   */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve))
    const channels = [...this.#channels.values()]
    this.#channels.clear()
    const flushed = Promise.allSettled(
      channels.map(async (pending) => {
        const channel = await pending
        await channel.tail
        await channel.stream.close()
      }),
    )
    // An unresponsive neighbour must not hold up shutdown: wait at most one dial timeout.
    await Promise.race([
      flushed,
      new Promise((resolve) => setTimeout(resolve, this.#dialTimeoutMs).unref()),
    ])
    this.libp2p.services.pubsub.topicValidators.delete(this.topic)
    if (this.#topologyId !== undefined) this.libp2p.unregister(this.#topologyId)
    this.#handlers = undefined
    this.#peers.clear()
    await this.libp2p.stop()
  }

  /** Gossipsub's check of a message before it relays it: the mesh merges it and judges it. */
  readonly #validate = (from: PeerId, message: Message): TopicValidatorResult => {
    if (this.#handlers === undefined) return TopicValidatorResult.Ignore
    this.stats.messagesReceived++
    const verdict = this.#handlers.onFrame(from.toString(), message.data, 'broadcast')
    if (verdict === 'reject') this.stats.messagesRejected++
    else if (verdict === 'ignore') this.stats.messagesIgnored++
    return VALIDATOR_RESULT[verdict]
  }

  #peerEvent(type: PeerEvent['type'], peerId: PeerId): void {
    const peer = peerId.toString()
    if (type === 'connected') {
      if (this.#peers.has(peer)) return
      this.#peers.add(peer)
    } else {
      if (!this.#peers.delete(peer)) return
      this.#channels.delete(peer)
    }
    const event: PeerEvent = { type, peer }
    this.#handlers?.onPeer(event)
    for (const listener of this.#peerListeners) listener(event)
  }

  #channel(peer: string): Promise<Channel> {
    let pending = this.#channels.get(peer)
    if (pending === undefined) {
      pending = this.libp2p
        .dialProtocol(peerIdFromString(peer), this.protocol, {
          signal: AbortSignal.timeout(this.#dialTimeoutMs),
        })
        .then((stream) => ({
          stream,
          frames: lpStream(stream, { maxDataLength: this.#maxFrameBytes }),
          tail: Promise.resolve(),
        }))
      const opened = pending
      opened.catch(() => this.#dropChannel(peer, opened))
      this.#channels.set(peer, opened)
    }
    return pending
  }

  /** Forgets a failed channel unless a newer one replaced it already. */
  #dropChannel(peer: string, failed: Promise<Channel>): void {
    if (this.#channels.get(peer) === failed) this.#channels.delete(peer)
  }

  async #readFrames(stream: Stream, from: string): Promise<void> {
    const frames = lpStream(stream, { maxDataLength: this.#maxFrameBytes })
    try {
      for (;;) {
        const frame = await frames.read()
        this.#handlers?.onFrame(from, frame.subarray(), 'direct')
      }
    } catch (err) {
      const name = err instanceof Error ? err.name : ''
      if (name === 'UnexpectedEOFError') return
      if (LENGTH_ERRORS.has(name)) this.stats.oversizeFrames++
      else this.stats.streamErrors++
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}
