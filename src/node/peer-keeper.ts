/**
 * Keeps the peers this node has known connected. libp2p 2 dials neither the peers its discovery
 * modules find (@libp2p/bootstrap dials its list once, mDNS not at all) nor, after a partition
 * that outlasted TCP, anyone again: mDNS fires `peer:discovery` only for peers new to the peer
 * store. So every peer from the bootstrap list, from discovery, or from a past connection is
 * remembered, and every `intervalMs` each remembered peer without a connection is dialled
 * (libp2p finds its addresses in the peer store, filled by discovery and identify). Bootstrap
 * peers are kept for good; others are forgotten after `forgetAfterMs` without a connection, so a
 * node that left for good is not dialled forever.
 */
import type { Libp2p, PeerId, PeerInfo } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'

export interface PeerKeeperOptions {
  bootstrap: readonly string[]
  intervalMs: number
  forgetAfterMs: number
}

interface KnownPeer {
  readonly target: Multiaddr | PeerId
  readonly permanent: boolean
  lastSeen: number
}

export function keepKnownPeersConnected(node: Libp2p, options: PeerKeeperOptions): void {
  const known = new Map<string, KnownPeer>()
  for (const address of options.bootstrap) {
    const ma = multiaddr(address)
    known.set(ma.getPeerId() as string, { target: ma, permanent: true, lastSeen: Date.now() })
  }
  const remember = (id: PeerId): void => {
    const entry = known.get(id.toString())
    if (entry !== undefined) entry.lastSeen = Date.now()
    else known.set(id.toString(), { target: id, permanent: false, lastSeen: Date.now() })
  }
  const dial = (target: Multiaddr | PeerId): void => {
    node.dial(target).catch(() => undefined)
  }
  node.addEventListener('peer:discovery', (event: CustomEvent<PeerInfo>) => {
    remember(event.detail.id)
    if (node.status === 'started' && node.getConnections(event.detail.id).length === 0)
      dial(event.detail.id)
  })
  node.addEventListener('connection:open', (event) => remember(event.detail.remotePeer))

  const redial = (): void => {
    const now = Date.now()
    const connected = new Set(node.getConnections().map((c) => c.remotePeer.toString()))
    for (const [id, peer] of known) {
      if (connected.has(id)) peer.lastSeen = now
      else if (!peer.permanent && now - peer.lastSeen > options.forgetAfterMs) known.delete(id)
      else dial(peer.target)
    }
  }
  let timer: NodeJS.Timeout | undefined
  node.addEventListener('start', () => {
    timer = setInterval(redial, options.intervalMs)
    timer.unref()
  })
  node.addEventListener('stop', () => clearInterval(timer))
}
