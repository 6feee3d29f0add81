/**
 * The simulated network: one `Transport` per node slot over the shared virtual clock.
 *
 * Model
 * - Overlay: like a libp2p connection manager, each node holds a bounded set of connections (it
 *   dials `overlayDegree` random earlier slots when it joins). Anti-entropy runs over these
 *   neighbours (`peers()`); `send` reaches any node in the same connected component (a dial).
 * - Push: gossipsub is modelled by its outcome: a broadcast reaches every node of the sender's
 *   connected component exactly once, each copy with its own latency, loss and duplication.
 *   (Gossipsub's in-mesh duplicates are suppressed by its seen-cache before the handler, so the
 *   handler-level load is the same.) As in gossipsub, the receiver hears it `from` a neighbour:
 *   the sender when they are connected, otherwise a neighbour chosen by a stable hash of the
 *   pair (the mesh peer that forwarded it), so syncs a push triggers go to neighbours.
 * - Links: latency from a distribution, scaled by a stable per-link factor; loss; duplication;
 *   per-link rules override the defaults. Jitter reorders frames. Delivery times are rounded up
 *   to `tickMs` so that deliveries share event-queue buckets (timers keep exact times).
 * - Cuts: partitions into groups (both directions), one-way cuts between groups, and isolated
 *   nodes (flapping). A cut drops frames at once; connections notice it (and a heal) only after
 *   `detectMs`, rounded up to a multiple of it, as keep-alive timeouts and re-dials would. Then
 *   `disconnected`/`connected` reach both ends, and on-connect anti-entropy runs after a heal.
 *   A connection needs both directions, so a one-way cut eventually looks symmetric to the
 *   protocol, with the window before detection losing one direction only.
 */
import { InvalidArgumentError } from '../src/membership/errors.ts'
import type { FrameRoute, Transport, TransportHandlers } from '../src/membership/transport.ts'
import { type LatencySpec, linkFactor, sampleLatency } from './latency.ts'
import type { EventQueue } from './queue.ts'
import type { TraceHash } from './trace.ts'

export interface LinkConditions {
  latency: LatencySpec
  /** Probability a frame is dropped. */
  loss: number
  /** Probability a delivered frame arrives twice. */
  duplication: number
}

export interface NetworkOptions extends LinkConditions {
  /** Spread of the stable per-link latency factor, in [0, 1). @default 0.5 */
  latencySpread: number
  /** Connections each joining node dials. @default 8 */
  overlayDegree: number
  /** Time for connections to notice a cut or a heal. @default 500 */
  detectMs: number
  /** Delivery times are rounded up to a multiple of this, so deliveries share queue buckets. @default 1 */
  tickMs: number
}

/** A rule overriding link conditions from one set of slots to another. */
export interface LinkRule {
  readonly from: ReadonlySet<number>
  readonly to: ReadonlySet<number>
  readonly conditions: Partial<LinkConditions>
}

/** Cumulative counters; per-slot arrays are indexed by slot. */
export interface NetworkCounters {
  sentFrames: number
  sentBytes: number
  /** Of the frames sent, those sent to one peer (anti-entropy) rather than broadcast (push). */
  unicastFrames: number
  unicastBytes: number
  delivered: number
  deliveredBytes: number
  dropped: number
  duplicated: number
  receivedFrames: number[]
  receivedBytes: number[]
}

class SimTransport implements Transport {
  readonly localPeer: string
  readonly slot: number
  readonly #network: SimNetwork
  handlers: TransportHandlers | undefined

  constructor(network: SimNetwork, slot: number, peer: string) {
    this.#network = network
    this.slot = slot
    this.localPeer = peer
  }

  async start(handlers: TransportHandlers): Promise<void> {
    this.handlers = handlers
    this.#network.attach(this)
  }

  async broadcast(frame: Uint8Array): Promise<void> {
    this.#network.broadcast(this, frame)
  }

  async send(peer: string, frame: Uint8Array): Promise<void> {
    this.#network.send(this, peer, frame)
  }

  peers(): string[] {
    return this.#network.peersOf(this.slot)
  }

  async stop(): Promise<void> {
    this.#network.detach(this.slot, this)
  }
}

export class SimNetwork {
  readonly options: NetworkOptions
  readonly counters: NetworkCounters = {
    sentFrames: 0,
    sentBytes: 0,
    unicastFrames: 0,
    unicastBytes: 0,
    delivered: 0,
    deliveredBytes: 0,
    dropped: 0,
    duplicated: 0,
    receivedFrames: [],
    receivedBytes: [],
  }
  /** Set whenever a node hands a frame over; the runner drains promise continuations then. */
  busy = false
  readonly #queue: EventQueue
  readonly #trace: TraceHash
  readonly #random: () => number
  readonly #transports: Array<SimTransport | undefined> = []
  /** Counts each slot's attaches and detaches: a copy in flight is for the transport of its generation. */
  readonly #generation: number[] = []
  readonly #peerIds: string[] = []
  readonly #slotOf = new Map<string, number>()
  readonly #overlay: number[][] = []
  readonly #group: number[] = []
  readonly #isolated: boolean[] = []
  readonly #blockedGroups = new Set<number>()
  #rules: LinkRule[] = []
  #neighbours: number[][] = []
  #component: number[] = []
  #members: number[][] = []
  #connected = new Set<number>()
  readonly #pendingRefresh = new Set<number>()

  constructor(queue: EventQueue, trace: TraceHash, random: () => number, options: NetworkOptions) {
    this.#queue = queue
    this.#trace = trace
    this.#random = random
    this.options = { ...options }
  }

  /** Number of slots ever created. */
  get size(): number {
    return this.#transports.length
  }

  /** Creates a slot; it dials `overlayDegree` random earlier slots. */
  addSlot(): number {
    const slot = this.#overlay.length
    this.#overlay.push([])
    this.#transports.push(undefined)
    this.#generation.push(0)
    this.#peerIds.push('')
    this.#group.push(0)
    this.#isolated.push(false)
    this.counters.receivedFrames.push(0)
    this.counters.receivedBytes.push(0)
    const dials = Math.min(this.options.overlayDegree, slot)
    const chosen = new Set<number>()
    while (chosen.size < dials) chosen.add(Math.floor(this.#random() * slot))
    for (const other of [...chosen].sort((a, b) => a - b)) {
      this.#overlay[slot]?.push(other)
      this.#overlay[other]?.push(slot)
    }
    return slot
  }

  /** A transport for `peer` at `slot`; it is reachable once started. */
  createTransport(slot: number, peer: string): Transport {
    if (slot < 0 || slot >= this.size) throw new InvalidArgumentError(`no slot ${slot}`)
    return new SimTransport(this, slot, peer)
  }

  /** True while the slot's transport is started. */
  isUp(slot: number): boolean {
    return this.#transports[slot] !== undefined
  }

  slotOf(peer: string): number | undefined {
    return this.#slotOf.get(peer)
  }

  /** Cuts into groups (both directions); slots not listed form one more group. */
  partition(groups: readonly (readonly number[])[]): void {
    this.#assignGroups(groups)
    for (let i = 0; i <= groups.length; i++) {
      for (let j = 0; j <= groups.length; j++) if (i !== j) this.#blockedGroups.add(i * 65536 + j)
    }
    this.#topologyChanged()
  }

  /** Cuts one direction: frames from `from` to `to` are lost; everything else is healed. */
  oneWay(from: readonly number[], to: readonly number[]): void {
    this.#assignGroups([from, to])
    this.#blockedGroups.add(1 * 65536 + 2)
    this.#topologyChanged()
  }

  /** Cuts (or restores) every link of one slot. */
  isolate(slot: number, isolated: boolean): void {
    this.#isolated[slot] = isolated
    this.#topologyChanged()
  }

  /** Removes every partition, one-way cut and isolation. */
  heal(): void {
    this.#assignGroups([])
    this.#isolated.fill(false)
    this.#topologyChanged()
  }

  /** Changes the default link conditions. */
  setConditions(conditions: Partial<LinkConditions>): void {
    Object.assign(this.options, conditions)
  }

  /** Replaces the per-link rules. */
  setRules(rules: LinkRule[]): void {
    this.#rules = rules
  }

  /** True when frames from a to b are cut now. */
  cut(a: number, b: number): boolean {
    if (this.#isolated[a] || this.#isolated[b]) return true
    return (
      this.#blockedGroups.size > 0 &&
      this.#blockedGroups.has((this.#group[a] as number) * 65536 + (this.#group[b] as number))
    )
  }

  /** Slots in the connected component of `slot` as the connections see it now. */
  componentOf(slot: number): readonly number[] {
    const c = this.#component[slot]
    return c === undefined ? [] : (this.#members[c] ?? [])
  }

  peersOf(slot: number): string[] {
    return (this.#neighbours[slot] ?? []).map((s) => this.#peerIds[s] as string)
  }

  /** @internal */
  attach(transport: SimTransport): void {
    const previous = this.#peerIds[transport.slot]
    if (previous !== undefined && previous !== '') this.#slotOf.delete(previous)
    // A node back under a new identity is a new peer to its neighbours: they hear the old one
    // leave now and the new one connect at the next refresh (liveness counts connected peers).
    if (previous !== undefined && previous !== '' && previous !== transport.localPeer)
      this.#dropEdgesOf(transport.slot)
    this.#transports[transport.slot] = transport
    this.#generation[transport.slot] = (this.#generation[transport.slot] as number) + 1
    this.#peerIds[transport.slot] = transport.localPeer
    this.#slotOf.set(transport.localPeer, transport.slot)
    this.#topologyChanged()
  }

  /** Forgets the slot's connections, telling the other ends it disconnected. */
  #dropEdgesOf(slot: number): void {
    for (const edge of [...this.#connected]) {
      const a = edge >>> 16
      const b = edge & 0xffff
      if (a !== slot && b !== slot) continue
      this.#connected.delete(edge)
      this.#notify(a === slot ? b : a, slot, false)
    }
  }

  /** Takes a slot off the network (a stop, or a crash when called directly). */
  detach(slot: number, transport?: SimTransport): void {
    if (transport !== undefined && this.#transports[slot] !== transport) return
    this.#transports[slot] = undefined
    this.#generation[slot] = (this.#generation[slot] as number) + 1
    this.#topologyChanged()
  }

  /**
   * @internal
   * A broadcast reaches thousands of nodes at once. Its copies are sorted by arrival tick into
   * one array of (to, via, slot generation) triples, with one queue event per tick, rather than
   * an event and a closure per copy: at 10,000 nodes a start held 10⁸ copies in flight.
   */
  broadcast(from: SimTransport, frame: Uint8Array): void {
    if (this.#transports[from.slot] !== from) return
    this.#handOver(frame)
    const origin = from.slot
    const times: number[] = []
    const copies: number[] = []
    for (const to of this.componentOf(origin)) {
      if (to === origin) continue
      const via = this.#forwarder(origin, to)
      this.#transmit(origin, to, (at) => {
        times.push(at)
        copies.push(to, via, this.#generation[to] as number)
      })
    }
    for (const { at, triples, start, end } of byArrivalTick(times, copies, this.options.tickMs))
      this.#queue.schedule(at, () => {
        for (let i = start; i < end; i += 3) {
          const to = triples[i] as number
          const current = this.#generation[to] === triples[i + 2]
          this.#deliver(
            origin,
            to,
            triples[i + 1] as number,
            frame,
            'broadcast',
            current ? this.#transports[to] : undefined,
          )
        }
      })
  }

  /** @internal */
  send(from: SimTransport, peer: string, frame: Uint8Array): void {
    const to = this.#slotOf.get(peer)
    if (
      this.#transports[from.slot] !== from ||
      to === undefined ||
      this.#transports[to] === undefined ||
      (this.#component[to] ?? -1) < 0 ||
      this.#component[to] !== this.#component[from.slot]
    ) {
      throw new InvalidArgumentError(`${peer} is not reachable from ${from.localPeer}`)
    }
    this.#handOver(frame)
    this.counters.unicastFrames++
    this.counters.unicastBytes += frame.byteLength
    const target = this.#transports[to]
    this.#transmit(from.slot, to, (at) =>
      this.#queue.schedule(at, () =>
        this.#deliver(from.slot, to, from.slot, frame, 'direct', target),
      ),
    )
  }

  #handOver(frame: Uint8Array): void {
    this.busy = true
    this.counters.sentFrames++
    this.counters.sentBytes += frame.byteLength
  }

  /** The neighbour of `to` that a push from `origin` arrives from. */
  #forwarder(origin: number, to: number): number {
    const edge = origin < to ? origin * 65536 + to : to * 65536 + origin
    if (this.#connected.has(edge)) return origin
    const neighbours = this.#neighbours[to] as number[]
    return neighbours[(Math.imul(origin + 1, 0x9e3779b1) >>> 0) % neighbours.length] ?? origin
  }

  /**
   * Draws one frame's fate on the link from → to: lost, or arriving at a tick (twice when
   * duplicated), each arrival time handed to `arrive`.
   */
  #transmit(from: number, to: number, arrive: (at: number) => void): void {
    const c = this.#conditions(from, to)
    const random = this.#random
    if (c.loss > 0 && random() < c.loss) {
      this.counters.dropped++
      return
    }
    if (this.#transports[to] === undefined) {
      this.counters.dropped++
      return
    }
    const copies = c.duplication > 0 && random() < c.duplication ? 2 : 1
    if (copies === 2) this.counters.duplicated++
    const factor = linkFactor(from, to, this.options.latencySpread)
    for (let i = 0; i < copies; i++) {
      const tick = this.options.tickMs
      arrive(Math.ceil((this.#queue.now + sampleLatency(c.latency, random, factor)) / tick) * tick)
    }
  }

  /** Hands a frame to `target`, the transport it was sent to (undefined: one since replaced), unless it has gone or the link is cut. */
  #deliver(
    from: number,
    to: number,
    via: number,
    frame: Uint8Array,
    route: FrameRoute,
    target: SimTransport | undefined,
  ): void {
    const handlers = target?.handlers
    if (
      target === undefined ||
      this.#transports[to] !== target ||
      handlers === undefined ||
      this.cut(from, to)
    ) {
      this.counters.dropped++
      return
    }
    this.#trace.mix(this.#queue.now, 2, from, to, frame.byteLength)
    this.counters.delivered++
    this.counters.deliveredBytes += frame.byteLength
    this.counters.receivedFrames[to] = (this.counters.receivedFrames[to] as number) + 1
    this.counters.receivedBytes[to] = (this.counters.receivedBytes[to] as number) + frame.byteLength
    handlers.onFrame(this.#peerIds[via] as string, frame, route)
  }

  #conditions(from: number, to: number): LinkConditions {
    if (this.#rules.length === 0) return this.options
    let c: LinkConditions = this.options
    for (const rule of this.#rules) {
      if (rule.from.has(from) && rule.to.has(to)) c = { ...c, ...rule.conditions }
    }
    return c
  }

  #assignGroups(groups: readonly (readonly number[])[]): void {
    this.#group.fill(0)
    this.#blockedGroups.clear()
    groups.forEach((group, i) => {
      for (const slot of group) this.#group[slot] = i + 1
    })
  }

  /** Schedules a connection refresh `detectMs` from now, rounded up so changes coalesce. */
  #topologyChanged(): void {
    const q = Math.max(1, this.options.detectMs)
    const at = Math.ceil((this.#queue.now + q) / q) * q
    if (this.#pendingRefresh.has(at)) return
    this.#pendingRefresh.add(at)
    this.#queue.schedule(at, () => {
      this.#pendingRefresh.delete(at)
      this.#refresh()
    })
  }

  /** Recomputes connections and components; tells both ends of every connection that changed. */
  #refresh(): void {
    const now = this.#queue.now
    const connected = new Set<number>()
    const neighbours: number[][] = this.#overlay.map(() => [])
    for (let a = 0; a < this.#overlay.length; a++) {
      if (this.#transports[a] === undefined) continue
      for (const b of this.#overlay[a] as number[]) {
        if (b <= a || this.#transports[b] === undefined || this.cut(a, b) || this.cut(b, a))
          continue
        connected.add(a * 65536 + b)
        neighbours[a]?.push(b)
        neighbours[b]?.push(a)
      }
    }
    const changes: Array<[number, number, boolean]> = []
    for (const edge of this.#connected)
      if (!connected.has(edge)) changes.push([edge >>> 16, edge & 0xffff, false])
    for (const edge of connected)
      if (!this.#connected.has(edge)) changes.push([edge >>> 16, edge & 0xffff, true])
    this.#connected = connected
    this.#neighbours = neighbours
    this.#computeComponents()
    changes.sort((x, y) => x[0] - y[0] || x[1] - y[1] || Number(x[2]) - Number(y[2]))
    for (const [a, b, up] of changes) {
      this.#trace.mix(now, 3, a, b, up ? 1 : 0)
      this.#notify(a, b, up)
      this.#notify(b, a, up)
    }
  }

  #notify(slot: number, other: number, up: boolean): void {
    const handlers = this.#transports[slot]?.handlers
    if (handlers === undefined) return
    this.busy = true
    handlers.onPeer({
      type: up ? 'connected' : 'disconnected',
      peer: this.#peerIds[other] as string,
    })
  }

  #computeComponents(): void {
    const component: number[] = new Array(this.#overlay.length).fill(-1)
    const members: number[][] = []
    for (let start = 0; start < this.#overlay.length; start++) {
      if (component[start] !== -1 || this.#transports[start] === undefined) continue
      const id = members.length
      const list = [start]
      component[start] = id
      for (let i = 0; i < list.length; i++) {
        for (const next of this.#neighbours[list[i] as number] as number[]) {
          if (component[next] === -1) {
            component[next] = id
            list.push(next)
          }
        }
      }
      list.sort((a, b) => a - b)
      members.push(list)
    }
    this.#component = component
    this.#members = members
  }
}

/** The copies of a broadcast arriving at one tick: triples[start, end) of the sorted copies. */
interface TickGroup {
  readonly at: number
  readonly triples: Int32Array
  readonly start: number
  readonly end: number
}

/**
 * Sorts copies (triples, the i-th arriving at times[i]) by arrival tick, keeping send order
 * within a tick: a counting sort over the ticks between the first and last arrival.
 */
function byArrivalTick(times: number[], copies: number[], tickMs: number): TickGroup[] {
  if (times.length === 0) return []
  let first = Number.POSITIVE_INFINITY
  let last = Number.NEGATIVE_INFINITY
  for (const t of times) {
    if (t < first) first = t
    if (t > last) last = t
  }
  const tickOf = (t: number) => Math.round((t - first) / tickMs)
  const offsets = new Int32Array(tickOf(last) + 2)
  for (const t of times) offsets[tickOf(t) + 1] = (offsets[tickOf(t) + 1] as number) + 3
  for (let k = 1; k < offsets.length; k++)
    offsets[k] = (offsets[k] as number) + (offsets[k - 1] as number)
  const triples = new Int32Array(copies.length)
  const fill = offsets.slice()
  const atOfTick = new Float64Array(offsets.length - 1)
  times.forEach((t, i) => {
    const k = tickOf(t)
    atOfTick[k] = t
    const at = fill[k] as number
    triples[at] = copies[3 * i] as number
    triples[at + 1] = copies[3 * i + 1] as number
    triples[at + 2] = copies[3 * i + 2] as number
    fill[k] = at + 3
  })
  const groups: TickGroup[] = []
  for (let k = 0; k + 1 < offsets.length; k++) {
    const start = offsets[k] as number
    const end = offsets[k + 1] as number
    if (end > start) groups.push({ at: atOfTick[k] as number, triples, start, end })
  }
  return groups
}
