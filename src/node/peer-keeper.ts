/**
 * Keeps this node in a small neighbourhood that stays connected to the whole cluster.
 *
 * libp2p 2 dials neither the peers its discovery modules find (@libp2p/bootstrap dials its list
 * once, mDNS not at all) nor, after a partition that outlasted TCP, anyone again: mDNS fires
 * `peer:discovery` only for peers new to the peer store. So every peer from the bootstrap list,
 * from discovery or from a past connection is remembered, and every `intervalMs` some of the
 * remembered peers without a connection are dialled (`peersToDial`):
 *
 * - Degree: while fewer than `targetPeers` connections are open, random remembered peers, as
 *   many as are missing. Gossip needs a few links, not one to everyone: every link costs each
 *   heartbeat that crosses it (a full mesh of 20 agents on one host spent most of its CPU there).
 *   Links are not enough, though: gossipsub peers whose mesh is full refuse a graft from a peer
 *   that dialled them (and back off a minute), so a node whose every link is such a peer sits
 *   outside the mesh and hears changes only through lazy gossip, about a second late. So while
 *   this node's gossipsub mesh has stayed below its lower bound for two intervals
 *   (`meshStarved`; a mesh forms within a gossipsub heartbeat or two of a start), one more
 *   peer a tick.
 * - Reach: one remembered peer the mesh cannot hear (`reachable` false: no chain of live
 *   heartbeats leads to it, see src/membership/attestation.ts), picked at random, even at full
 *   degree. After a partition each side holds its own degree and would never dial across; this
 *   probe finds the other side within an interval of the network healing. A peer that is
 *   heard through others is not dialled, so the degree stays bounded; a dead one costs a
 *   refused dial now and then until it is forgotten.
 * - Gate: what the rest of libp2p dials on its own (gossipsub's peer exchange) goes ahead only
 *   below the target degree, or one at a time while the mesh is starved; otherwise the peer is
 *   only remembered (`gater`).
 *
 * Bootstrap peers are kept for good; others are forgotten after `forgetAfterMs` without a
 * connection, so a node that left for good is not dialled forever. Connections others open to
 * this node are accepted whatever the degree (a bootstrap hub holds many); libp2p's connection
 * cap bounds them.
 */
import type { Libp2p, PeerId, PeerInfo } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'

export interface PeerKeeperOptions {
  bootstrap: readonly string[]
  intervalMs: number
  forgetAfterMs: number
  /** Connections this node opens itself while it has fewer. */
  targetPeers: number
  /** How long a dial may take (libp2p's dial timeout). */
  dialTimeoutMs: number
}

interface KnownPeer {
  readonly target: Multiaddr | PeerId
  readonly permanent: boolean
  lastSeen: number
}

/** What the keeper asks of the node it keeps. */
export interface NeighbourhoodView {
  /** Whether the mesh hears `peer` (by its peer ID) through live heartbeats. */
  reachable(peer: string): boolean
  /** Whether this node's gossipsub mesh is below its lower bound. */
  meshStarved(): boolean
}

/** What `peersToDial` decides from. */
export interface DialSituation {
  /** Remembered peers without a connection, by peer ID. */
  readonly unconnected: readonly string[]
  /** Open connections, to distinct peers. */
  readonly connections: number
  readonly targetPeers: number
  /** Whether this node's gossipsub mesh has stayed below its lower bound for two intervals. */
  readonly meshStarved: boolean
  readonly reachable: (peer: string) => boolean
  /** A uniform random integer in [0, below). */
  readonly randomBelow: (below: number) => number
}

/**
 * The peers to dial now: random unconnected ones up to the missing degree (at least one while
 * the mesh is starved), and one more the mesh cannot hear (see the design comment). No peer
 * twice.
 */
export function peersToDial(situation: DialSituation): string[] {
  const { unconnected, randomBelow } = situation
  const pool = [...unconnected]
  const picked: string[] = []
  const take = (index: number): void => {
    picked.push(pool[index] as string)
    pool[index] = pool[pool.length - 1] as string
    pool.pop()
  }
  const missing = Math.max(
    situation.targetPeers - situation.connections,
    situation.meshStarved ? 1 : 0,
  )
  while (picked.length < missing && pool.length > 0) take(randomBelow(pool.length))
  const unheard = pool.flatMap((peer, index) => (situation.reachable(peer) ? [] : [index]))
  if (unheard.length > 0) take(unheard[randomBelow(unheard.length)] as number)
  return picked
}

function randomBelow(below: number): number {
  return Math.floor(Math.random() * below)
}

/**
 * Remembers peers and dials them by the policy above. Build it before libp2p (libp2p takes its
 * `gater`), then `attach` it to the node, with what the mesh hears and gossipsub's mesh state.
 */
export class PeerKeeper {
  readonly #options: PeerKeeperOptions
  readonly #known = new Map<string, KnownPeer>()
  /** Peers this keeper is dialling now: the gate lets them through whatever the degree. */
  readonly #dialling = new Set<string>()
  /** Others' dials the gate let through, and when: they count toward the degree until connected. */
  readonly #admitted = new Map<string, number>()
  #node: Libp2p | undefined
  /** Since when the gossipsub mesh has been below its lower bound, as of the last tick. */
  #starvedSince: number | undefined

  constructor(options: PeerKeeperOptions) {
    this.#options = options
    for (const address of options.bootstrap) {
      const ma = multiaddr(address)
      this.#known.set(ma.getPeerId() as string, {
        target: ma,
        permanent: true,
        lastSeen: Date.now(),
      })
    }
  }

  /**
   * libp2p's connection gater. Other parts of libp2p dial on their own: gossipsub dials every
   * peer a PRUNE's peer exchange names, which made every leaf pruned from a hub connect to a
   * dozen peers. Such a dial goes ahead only while the connections, with the dials it let
   * through in the last `dialTimeoutMs` that have not connected yet, are below the target
   * (peer exchange names several peers at once), or one at a time while the mesh is starved
   * (what peer exchange is for); otherwise the peer is only remembered (its addresses are in
   * the peer store by then) for the policy to pick. Bootstrap peers and this keeper's own dials
   * always pass.
   */
  readonly gater = {
    denyDialPeer: (peer: PeerId): boolean => {
      const id = peer.toString()
      this.#remember(peer)
      if (this.#dialling.has(id) || this.#known.get(id)?.permanent === true) return false
      const connected = this.#connectedPeers()
      const now = Date.now()
      for (const [admitted, at] of this.#admitted)
        if (connected.has(admitted) || now - at > this.#options.dialTimeoutMs)
          this.#admitted.delete(admitted)
      const room = connected.size + this.#admitted.size < this.#options.targetPeers
      if (!room && !(this.#starved() && this.#admitted.size === 0)) return true
      this.#admitted.set(id, now)
      return false
    },
  }

  attach(node: Libp2p, view: NeighbourhoodView): void {
    this.#node = node
    node.addEventListener('peer:discovery', (event: CustomEvent<PeerInfo>) => {
      this.#remember(event.detail.id)
      if (node.status !== 'started') return
      const connected = this.#connectedPeers()
      const id = event.detail.id.toString()
      if (connected.size < this.#options.targetPeers && !connected.has(id)) this.#dial(id)
    })
    node.addEventListener('connection:open', (event) => this.#remember(event.detail.remotePeer))
    let timer: NodeJS.Timeout | undefined
    node.addEventListener('start', () => {
      timer = setInterval(() => this.#redial(view), this.#options.intervalMs)
      timer.unref()
    })
    node.addEventListener('stop', () => clearInterval(timer))
  }

  #starved(now = Date.now()): boolean {
    return (
      this.#starvedSince !== undefined && now - this.#starvedSince >= 2 * this.#options.intervalMs
    )
  }

  #remember(id: PeerId): void {
    const entry = this.#known.get(id.toString())
    if (entry !== undefined) entry.lastSeen = Date.now()
    else this.#known.set(id.toString(), { target: id, permanent: false, lastSeen: Date.now() })
  }

  #connectedPeers(): Set<string> {
    return new Set(this.#node?.getConnections().map((c) => c.remotePeer.toString()))
  }

  #dial(id: string): void {
    const peer = this.#known.get(id)
    if (this.#node === undefined || peer === undefined) return
    this.#dialling.add(id)
    this.#node
      .dial(peer.target)
      .catch(() => undefined)
      .finally(() => this.#dialling.delete(id))
  }

  #redial(view: NeighbourhoodView): void {
    const now = Date.now()
    const connected = this.#connectedPeers()
    const unconnected: string[] = []
    for (const [id, peer] of this.#known) {
      if (connected.has(id)) peer.lastSeen = now
      else if (!peer.permanent && now - peer.lastSeen > this.#options.forgetAfterMs)
        this.#known.delete(id)
      else unconnected.push(id)
    }
    if (!view.meshStarved()) this.#starvedSince = undefined
    else this.#starvedSince ??= now
    const situation = {
      unconnected,
      connections: connected.size,
      targetPeers: this.#options.targetPeers,
      meshStarved: this.#starved(now),
      reachable: view.reachable,
      randomBelow,
    }
    for (const id of peersToDial(situation)) this.#dial(id)
  }
}
