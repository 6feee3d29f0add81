/**
 * The libp2p transport passes the same Transport compliance suite as the in-memory network:
 * real libp2p nodes on 127.0.0.1 (mDNS off), each bootstrapped to the ones before it.
 */

import { ephemeralIdentity } from '../../src/node/identity-store.ts'
import { buildLibp2p } from '../../src/node/libp2p-config.ts'
import { Libp2pTransport, topicOf } from '../../src/node/libp2p-transport.ts'
import { localLibp2pTuning } from '../../src/node/presets.ts'
import { Inbox, type TransportHarness, transportCompliance } from '../compliance/transport.ts'
import { withDeadline } from '../helpers/deadline.ts'

const CLUSTER = 'compliance'
const DEADLINE_MS = 10_000

async function libp2pHarness(size: number): Promise<TransportHarness> {
  const transports: Libp2pTransport[] = []
  const inboxes: Inbox[] = []
  for (let i = 0; i < size; i++) {
    const libp2p = await buildLibp2p({
      privateKey: (await ephemeralIdentity(Date.now())).privateKey,
      cluster: CLUSTER,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: transports.map((t) => t.libp2p.getMultiaddrs()[0]?.toString() as string),
      mdns: false,
      psk: undefined,
      tuning: localLibp2pTuning(),
      maxFrameBytes: 8 * 1024 * 1024,
    })
    const transport = new Libp2pTransport({
      libp2p,
      cluster: CLUSTER,
      maxFrameBytes: 8 * 1024 * 1024,
      dialTimeoutMs: 2000,
    })
    const inbox = new Inbox()
    await transport.start({
      onFrame: (from, frame) => {
        inbox.record({ from, frame })
        return 'accept'
      },
      onPeer: (event) => inbox.recordPeer(event),
    })
    transports.push(transport)
    inboxes.push(inbox)
  }
  // Broadcasts go to peers known to subscribe to the topic: wait for every subscription.
  await withDeadline(
    Promise.all(transports.map((t) => subscribedBy(t, size - 1))),
    DEADLINE_MS,
    'topic subscriptions',
  )
  return {
    transports,
    inboxes,
    drive: (promise) => withDeadline(promise, DEADLINE_MS, 'transport event'),
    close: async () => {
      await Promise.all(transports.map((t) => t.stop()))
    },
  }
}

function subscribedBy(transport: Libp2pTransport, count: number): Promise<void> {
  const pubsub = transport.libp2p.services.pubsub
  const topic = topicOf(CLUSTER)
  return new Promise((resolve) => {
    const check = (): void => {
      if (pubsub.getSubscribers(topic).length < count) return
      pubsub.removeEventListener('subscription-change', check)
      resolve()
    }
    pubsub.addEventListener('subscription-change', check)
    check()
  })
}

transportCompliance('libp2p (gossipsub + sync protocol)', libp2pHarness)
