/**
 * Keeps the bootstrap list connected. @libp2p/bootstrap dials its list once at start; after a
 * partition that outlasted TCP, or a restart of a bootstrap peer, nothing would dial it again.
 * Every `intervalMs` while libp2p runs, each bootstrap peer without a connection is dialled
 * (a failed dial is retried at the next tick; a connected peer costs one map lookup).
 */
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'

export function keepBootstrapPeersConnected(
  node: Libp2p,
  list: readonly string[],
  intervalMs: number,
): void {
  if (list.length === 0) return
  const peers = list.map((address) => {
    const ma = multiaddr(address)
    return { ma, peerId: ma.getPeerId() as string }
  })
  let timer: NodeJS.Timeout | undefined
  const redial = (): void => {
    const connected = new Set(node.getConnections().map((c) => c.remotePeer.toString()))
    for (const { ma, peerId } of peers) {
      if (!connected.has(peerId)) node.dial(ma).catch(() => undefined)
    }
  }
  node.addEventListener('start', () => {
    timer = setInterval(redial, intervalMs)
    timer.unref()
  })
  node.addEventListener('stop', () => clearInterval(timer))
}
