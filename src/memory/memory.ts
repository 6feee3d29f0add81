/**
 * An in-memory network of transports, for tests (ours and users'), demos and the simulator.
 * Every frame is delivered through the scheduler, never synchronously, with controllable
 * latency, loss, duplication and reordering (latency jitter), and with partitions: symmetric
 * (groups), or one-way (a blocked direction). All randomness comes from one seed.
 *
 * Connectivity: two transports are neighbours while neither direction between them is cut.
 * Cutting or healing a link emits `disconnected`/`connected` to both ends, as a real network's
 * connection manager would, so the protocol's on-connect anti-entropy runs after a heal.
 */
import { InvalidArgumentError } from '../membership/errors.ts'
import type {
  FrameRoute,
  PeerEvent,
  Transport,
  TransportHandlers,
} from '../membership/transport.ts'
import { type Scheduler, systemScheduler } from '../mesh/scheduler.ts'
import { seededRandom } from '../util/random.ts'

/** How the in-memory network treats every frame: delay, jitter, loss and duplication. */
export interface LinkConditions {
  /** Base one-way delay in ms. @default 0 */
  latencyMs: number
  /** Uniform extra delay in [0, jitterMs); jitter reorders frames. @default 0 */
  jitterMs: number
  /** Probability that a frame is dropped. @default 0 */
  loss: number
  /** Probability that a delivered frame is delivered twice. @default 0 */
  duplication: number
}

/** Options of a MemoryNetwork: its clock, seed and link conditions. */
export interface MemoryNetworkOptions extends Partial<LinkConditions> {
  scheduler?: Scheduler
  /** Seed of all random choices (loss, jitter, duplication). @default 1 */
  seed?: number
}

/** Frames delivered, dropped and duplicated, and bytes delivered. */
export interface MemoryNetworkStats {
  delivered: number
  dropped: number
  duplicated: number
  bytes: number
}

class MemoryTransport implements Transport {
  readonly localPeer: string
  readonly #network: MemoryNetwork
  handlers: TransportHandlers | undefined

  constructor(network: MemoryNetwork, peer: string) {
    this.#network = network
    this.localPeer = peer
  }

  async start(handlers: TransportHandlers): Promise<void> {
    this.handlers = handlers
    this.#network.attach(this)
  }

  async broadcast(frame: Uint8Array): Promise<void> {
    for (const peer of this.peers()) this.#network.deliver(this.localPeer, peer, frame, 'broadcast')
  }

  async send(peer: string, frame: Uint8Array): Promise<void> {
    if (!this.#network.connected(this.localPeer, peer)) {
      throw new InvalidArgumentError(`${peer} is not reachable from ${this.localPeer}`)
    }
    this.#network.deliver(this.localPeer, peer, frame, 'direct')
  }

  peers(): string[] {
    return this.#network.neighbours(this.localPeer)
  }

  async stop(): Promise<void> {
    this.#network.detach(this)
    this.handlers = undefined
  }
}

/**
 * An in-memory network for tests and demos: transports on one virtual clock, with link conditions
 * and partitions.
 */
export class MemoryNetwork {
  readonly scheduler: Scheduler
  readonly conditions: LinkConditions
  readonly stats: MemoryNetworkStats = { delivered: 0, dropped: 0, duplicated: 0, bytes: 0 }
  readonly #random: () => number
  readonly #transports = new Map<string, MemoryTransport>()
  readonly #blocked = new Set<string>()
  readonly #linkConditions = new Map<string, Partial<LinkConditions>>()

  constructor(options: MemoryNetworkOptions = {}) {
    this.scheduler = options.scheduler ?? systemScheduler
    this.#random = seededRandom(options.seed ?? 1)
    this.conditions = {
      latencyMs: options.latencyMs ?? 0,
      jitterMs: options.jitterMs ?? 0,
      loss: options.loss ?? 0,
      duplication: options.duplication ?? 0,
    }
  }

  /** A transport for `peer`; it joins the network when started. */
  createTransport(peer: string): Transport {
    if (this.#transports.has(peer)) throw new InvalidArgumentError(`peer ${peer} already exists`)
    return new MemoryTransport(this, peer)
  }

  /** Overrides conditions on the directed link from → to. */
  setLink(from: string, to: string, conditions: Partial<LinkConditions>): void {
    this.#linkConditions.set(linkId(from, to), {
      ...this.#linkConditions.get(linkId(from, to)),
      ...conditions,
    })
  }

  /** Cuts the network into groups: links between different groups go down both ways. Peers not listed form one more group. */
  partition(...groups: string[][]): void {
    const groupOf = new Map<string, number>()
    groups.forEach((group, i) => {
      for (const peer of group) groupOf.set(peer, i)
    })
    const peers = [...this.#transports.keys()]
    this.#change(() => {
      this.#blocked.clear()
      for (const a of peers) {
        for (const b of peers) {
          if (a !== b && (groupOf.get(a) ?? -1) !== (groupOf.get(b) ?? -1))
            this.#blocked.add(linkId(a, b))
        }
      }
    })
  }

  /** Cuts one direction: frames from `from` to `to` are lost (an asymmetric partition). */
  block(from: string, to: string): void {
    this.#change(() => this.#blocked.add(linkId(from, to)))
  }

  /** Restores one direction. */
  unblock(from: string, to: string): void {
    this.#change(() => this.#blocked.delete(linkId(from, to)))
  }

  /** Restores every link. */
  heal(): void {
    this.#change(() => this.#blocked.clear())
  }

  /** True while frames can flow both ways between a and b. */
  connected(a: string, b: string): boolean {
    return (
      a !== b &&
      this.#transports.has(a) &&
      this.#transports.has(b) &&
      !this.#blocked.has(linkId(a, b)) &&
      !this.#blocked.has(linkId(b, a))
    )
  }

  /** The peers `peer` can reach now (partitions considered). */
  neighbours(peer: string): string[] {
    return [...this.#transports.keys()].filter((other) => this.connected(peer, other))
  }

  /** @internal */
  attach(transport: MemoryTransport): void {
    this.#change(() => this.#transports.set(transport.localPeer, transport))
  }

  /** @internal */
  detach(transport: MemoryTransport): void {
    this.#change(() => this.#transports.delete(transport.localPeer))
  }

  /** @internal Schedules delivery of one frame under the link's conditions. */
  deliver(from: string, to: string, frame: Uint8Array, route: FrameRoute): void {
    const c = { ...this.conditions, ...this.#linkConditions.get(linkId(from, to)) }
    if (this.#random() < c.loss) {
      this.stats.dropped++
      return
    }
    const copies = this.#random() < c.duplication ? 2 : 1
    if (copies === 2) this.stats.duplicated++
    for (let i = 0; i < copies; i++) {
      const delay = c.latencyMs + (c.jitterMs > 0 ? this.#random() * c.jitterMs : 0)
      this.scheduler.setTimer(delay, () => {
        const target = this.#transports.get(to)
        if (target?.handlers === undefined || this.#blocked.has(linkId(from, to))) {
          this.stats.dropped++
          return
        }
        this.stats.delivered++
        this.stats.bytes += frame.byteLength
        target.handlers.onFrame(from, frame, route)
      })
    }
  }

  /** Applies a connectivity change and tells both ends of every link that went up or down. */
  #change(mutate: () => void): void {
    const before = this.#adjacency()
    mutate()
    const after = this.#adjacency()
    const events: Array<[string, PeerEvent]> = []
    for (const link of new Set([...before, ...after])) {
      if (before.has(link) === after.has(link)) continue
      const [a, b] = link.split('\u0000') as [string, string]
      const type = after.has(link) ? 'connected' : 'disconnected'
      events.push([a, { type, peer: b }], [b, { type, peer: a }])
    }
    for (const [peer, event] of events) {
      this.scheduler.setTimer(0, () => this.#transports.get(peer)?.handlers?.onPeer(event))
    }
  }

  #adjacency(): Set<string> {
    const links = new Set<string>()
    const peers = [...this.#transports.keys()].sort()
    for (let i = 0; i < peers.length; i++) {
      for (let j = i + 1; j < peers.length; j++) {
        const a = peers[i] as string
        const b = peers[j] as string
        if (this.connected(a, b)) links.add(linkId(a, b))
      }
    }
    return links
  }
}

function linkId(from: string, to: string): string {
  return `${from}\u0000${to}`
}
