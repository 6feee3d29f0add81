/**
 * Builds the libp2p node: TCP, pre-shared key (optional), Noise, Yamux, identify, ping,
 * gossipsub, bootstrap and mDNS, tuned by a preset. Nothing starts here; the transport starts it.
 * Which peers it stays connected to is peer-keeper.ts's business (create-node.ts wires it).
 */
import { createHash } from 'node:crypto'
import { gossipsub } from '@chainsafe/libp2p-gossipsub'
import { createTopicScoreParams } from '@chainsafe/libp2p-gossipsub/score'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { identify } from '@libp2p/identify'
import {
  type ConnectionGater,
  type Ed25519PrivateKey,
  KEEP_ALIVE,
  type Libp2p,
} from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2pOptions } from 'libp2p'
import { type GossipServices, topicOf } from './libp2p-transport.ts'
import type { Libp2pTuning } from './presets.ts'

export interface Libp2pSetup {
  privateKey: Ed25519PrivateKey
  cluster: string
  listen: string[]
  bootstrap: string[]
  mdns: boolean
  psk: Uint8Array | undefined
  tuning: Libp2pTuning
  maxFrameBytes: number
  /** Which dials go ahead (peer-keeper.ts); every one when absent. */
  gater?: ConnectionGater
}

const MESSAGE_ID_BYTES = 16

/** Topic score: -100 × (rejected messages)², the count decaying by a tenth a second. */
const REJECTED_MESSAGES_ONLY = createTopicScoreParams({
  topicWeight: 1,
  timeInMeshWeight: 0,
  firstMessageDeliveriesWeight: 0,
  meshMessageDeliveriesWeight: 0,
  meshFailurePenaltyWeight: 0,
  invalidMessageDeliveriesWeight: -100,
  invalidMessageDeliveriesDecay: 0.9,
})

/** Bootstrap peers stay tagged keep-alive for this long, so libp2p redials them when a link drops. */
const BOOTSTRAP_KEEP_ALIVE_MS = 2 ** 31 - 1

export async function buildLibp2p(setup: Libp2pSetup): Promise<Libp2p<GossipServices>> {
  const { tuning } = setup
  const discovery: NonNullable<Libp2pOptions['peerDiscovery']> = []
  if (setup.bootstrap.length > 0)
    discovery.push(
      bootstrap({
        list: setup.bootstrap,
        timeout: tuning.bootstrapDelayMs,
        tagName: KEEP_ALIVE,
        tagTTL: BOOTSTRAP_KEEP_ALIVE_MS,
      }),
    )
  // mDNS and the pre-shared key are loaded only when used: mDNS alone holds about 6 MiB.
  if (setup.mdns) {
    const { mdns } = await import('@libp2p/mdns')
    discovery.push(
      mdns({
        interval: tuning.mdnsIntervalMs,
        serviceTag: `_gossip-sd-${setup.cluster}._udp.local`,
      }),
    )
  }
  const protector =
    setup.psk === undefined
      ? {}
      : { connectionProtector: (await import('@libp2p/pnet')).preSharedKey({ psk: setup.psk }) }
  const node = await createLibp2p({
    start: false,
    privateKey: setup.privateKey,
    addresses: { listen: setup.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...protector,
    peerDiscovery: discovery,
    ...(setup.gater === undefined ? {} : { connectionGater: setup.gater }),
    connectionManager: { maxConnections: tuning.maxConnections, dialTimeout: tuning.dialTimeoutMs },
    connectionMonitor: {
      pingInterval: tuning.pingIntervalMs,
      pingTimeout: { minTimeout: tuning.pingTimeoutMs, maxTimeout: tuning.pingTimeoutMs * 3 },
    },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        // Statements are signed by their owners; a second libp2p signature would only cost CPU.
        globalSignaturePolicy: 'StrictNoSign',
        // 128 bits of SHA-256 name a message for deduplication; IHAVE carries these ids.
        msgIdFn: (message) =>
          createHash('sha256').update(message.data).digest().subarray(0, MESSAGE_ID_BYTES),
        allowPublishToZeroTopicPeers: true,
        // A node's own messages go to its mesh peers (at least D), not to every connected peer:
        // the mesh forwards them anyway, and a hub with many links would pay for each.
        floodPublish: false,
        ignoreDuplicatePublishError: true,
        D: tuning.meshDegree,
        Dlo: tuning.meshDegreeLow,
        Dhi: tuning.meshDegreeHigh,
        // Outbound peers a pruning keeps: fewer than the lower bound, as gossipsub requires.
        Dout: Math.min(tuning.meshDegreeLow - 1, Math.floor(tuning.meshDegree / 2)),
        Dlazy: tuning.lazyGossipDegree,
        gossipFactor: 0,
        mcacheGossip: tuning.lazyGossipWindows,
        heartbeatInterval: tuning.gossipHeartbeatMs,
        seenTTL: tuning.seenTtlMs,
        maxInboundDataLength: setup.maxFrameBytes,
        // Peer exchange on prune: a node pruned from a busy peer's mesh (a bootstrap hub) learns
        // other peers to connect to instead of staying a leaf with an empty mesh; as many as the
        // degree peer-keeper.ts keeps (gossipsub's 16 made every pruned leaf dial most of a
        // small cluster).
        doPX: true,
        prunePeers: tuning.targetPeers,
        // Scoring counts one thing: messages the mesh rejected (a forged statement, a malformed
        // frame, a digest pushed to everyone; see the topic validator in libp2p-transport.ts).
        // No honest node sends one, so honest peers keep a score of 0, and one rejected message
        // puts its sender below the graylist threshold, where gossipsub drops its messages
        // unread, for a few seconds (longer for repeat offenders: the penalty is quadratic).
        // The other components stay off: their defaults hurt us (many nodes on one host or
        // behind one NAT look like a Sybil attack, and a leaf that re-grafts its only peer
        // during backoff gets a behaviour penalty, which silences its heartbeats).
        scoreParams: {
          IPColocationFactorWeight: 0,
          behaviourPenaltyWeight: 0,
          topics: { [topicOf(setup.cluster)]: REJECTED_MESSAGES_ONLY },
        },
        scoreThresholds: {
          gossipThreshold: -10,
          publishThreshold: -50,
          graylistThreshold: -80,
          acceptPXThreshold: 0,
        },
      }),
    },
  })
  return node
}
