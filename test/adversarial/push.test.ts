/**
 * A hostile peer on real TCP pushing bad traffic on the cluster's topic and sync protocol:
 * honest nodes reject it by name, relay none of it, stay responsive, and keep their view.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { GossipSub } from '@chainsafe/libp2p-gossipsub'
import { multiaddr } from '@multiformats/multiaddr'
import { encodeFrame } from '../../src/membership/frame.ts'
import { ServiceSet } from '../../src/membership/service-set.ts'
import { meshOf } from '../../src/node/gossip-node.ts'
import type { GossipNode } from '../../src/node/index.ts'
import type { Libp2pTransport } from '../../src/node/libp2p-transport.ts'
import { goMicroSpec } from '../fixtures/statements.ts'
import {
  type Cluster,
  eventLoopDelayDuring,
  flushedThrough,
  frameOf,
  honestCluster,
  hostileMember,
  mintedOwner,
  rejectedSince,
  startNode,
  until,
  viewOf,
} from './hostile.ts'

/** The local preset's TTL: a node blocked this long would expire live peers. */
const TTL_MS = 1500

function scoreOf(node: GossipNode, peer: string): number {
  const transport = meshOf(node).transport as Libp2pTransport
  return (transport.libp2p.services.pubsub as unknown as GossipSub).getScore(peer)
}

describe('adversarial: a hostile peer pushing bad traffic', () => {
  let cluster: Cluster
  let honestView: string[]

  before(async () => {
    cluster = await honestCluster()
    honestView = viewOf(cluster.a)
  })

  after(async () => {
    await Promise.all(cluster.nodes.map((n) => n.stop()))
  })

  it('one large frame repeating a bad-signature statement costs one verification, is not relayed, and graylists its sender', async () => {
    const { a, b } = cluster
    const h = await hostileMember(cluster)
    const good = h.owner.register(goMicroSpec('big'), Date.now())
    const signature = Uint8Array.from(good.signed.signature)
    signature[0] = (signature[0] as number) ^ 1
    const bad = { ...good, signed: { ...good.signed, signature } }
    const frame = frameOf(Array.from({ length: 1000 }, () => bad))
    assert.ok(frame.byteLength > 4_000_000, `${frame.byteLength} bytes`)
    const aBefore = a.stats()
    const bBefore = b.stats()
    const delay = await eventLoopDelayDuring(async () => {
      await h.publish(frame)
      await until(() => rejectedSince(a, aBefore, 'ERR_BAD_SIGNATURE') > 0, 'the rejection')
      await flushedThrough(a, b, 'after-bad-signatures')
    })
    assert.equal(rejectedSince(a, aBefore, 'ERR_BAD_SIGNATURE'), 1)
    assert.equal(a.stats().transport.messagesRejected - aBefore.transport.messagesRejected, 1)
    assert.equal(rejectedSince(b, bBefore, 'ERR_BAD_SIGNATURE'), 0, 'relayed to b')
    assert.ok(delay.max / 1e6 < TTL_MS, `event loop blocked ${delay.max / 1e6} ms`)
    // Gossipsub caches a score for one of its heartbeats.
    await until(() => scoreOf(a, h.node.peerId) <= -80, 'the sender graylisted')
    assert.deepEqual(viewOf(a), honestView)
    assert.deepEqual(viewOf(b), honestView)
  })

  it('a digest pushed to the whole cluster is a protocol violation: rejected, not answered, not relayed', async () => {
    const { a, b } = cluster
    const h = await hostileMember(cluster)
    const aBefore = a.stats()
    const bBefore = b.stats()
    const digest = encodeFrame({
      gossip: [],
      digest: { owners: [], partial: false },
      wantReply: true,
    })
    await h.publish(digest)
    await until(() => rejectedSince(a, aBefore, 'ERR_PROTOCOL') === 1, 'the rejection')
    await flushedThrough(a, b, 'after-digest')
    assert.equal(rejectedSince(b, bBefore, 'ERR_PROTOCOL'), 0, 'relayed to b')
  })

  it('random and truncated frames on the sync protocol are rejected by name and change nothing', async () => {
    const { a } = cluster
    const h = await hostileMember(cluster)
    const aBefore = a.stats()
    const valid = frameOf([h.owner.register({ service: 'x', id: '1', addresses: [] }, Date.now())])
    await h.send(randomBytes(2000))
    await h.send(valid.subarray(0, valid.byteLength - 7))
    await until(() => rejectedSince(a, aBefore, 'ERR_MALFORMED') === 2, 'two malformed frames')
    assert.equal(a.stats().framesRejected - aBefore.framesRejected, 2)
    assert.deepEqual(viewOf(a), honestView)
  })

  it('a statement signed for another cluster does not verify here and is not relayed', async () => {
    const { a, b } = cluster
    const h = await hostileMember(cluster)
    const elsewhere = mintedOwner('another-cluster')
    const moved = elsewhere.register({ service: 'web', id: 'moved', addresses: [] }, Date.now())
    const aBefore = a.stats()
    const bBefore = b.stats()
    await h.publish(frameOf([moved]))
    await until(() => rejectedSince(a, aBefore, 'ERR_BAD_SIGNATURE') === 1, 'the rejection')
    await flushedThrough(a, b, 'after-cross-cluster')
    assert.equal(rejectedSince(b, bBefore, 'ERR_BAD_SIGNATURE'), 0)
    assert.deepEqual(viewOf(a), honestView)
    assert.deepEqual(viewOf(b), honestView)
  })

  it("a crashed owner's statements resent with age 0 stay dead", async () => {
    const { a, b } = cluster
    const h = await hostileMember(cluster)
    const minted = mintedOwner()
    const registration = minted.register({ service: 'ghost', id: 'g', addresses: [] }, Date.now())
    const own = new ServiceSet()
    own.apply(registration, 0)
    const heartbeat = minted.heartbeat(own)
    await h.publish(frameOf([registration, heartbeat]))
    await until(() => a.lookup('ghost').length === 1, 'the ghost registered at a')
    await until(() => a.lookup('ghost').length === 0, 'the ghost expired at a')
    const aBefore = a.stats()
    await h.publish(frameOf([heartbeat, registration]))
    await until(
      () =>
        a.stats().expiredOnArrival + a.stats().duplicate >
        aBefore.expiredOnArrival + aBefore.duplicate,
      'the replay handled',
    )
    await flushedThrough(a, b, 'after-ghost')
    assert.equal(a.lookup('ghost').length, 0)
    assert.equal(b.lookup('ghost').length, 0)
  })

  it('a deregistered instance replayed while its owner runs is rejected as a replay', async () => {
    const { a, b } = cluster
    const h = await hostileMember(cluster)
    const handle = await h.node.register({ service: 'web', id: 'brief', addresses: [] })
    const statement = meshOf(h.node).replica.set.get(handle.key)?.statement
    assert.ok(statement !== undefined)
    await until(() => a.lookup('web').some((i) => i.id === 'brief'), 'brief at a')
    await handle.deregister()
    await until(() => !a.lookup('web').some((i) => i.id === 'brief'), 'brief gone at a')
    // The tombstone is kept twice the TTL; replay after it is gone.
    await until(() => meshOf(a).replica.set.get(handle.key) === undefined, 'tombstone dropped')
    const aBefore = a.stats()
    await h.publish(frameOf([statement]))
    await until(() => rejectedSince(a, aBefore, 'ERR_REPLAYED') === 1, 'the replay rejected')
    await flushedThrough(a, b, 'after-replay')
    assert.ok(!a.lookup('web').some((i) => i.id === 'brief'))
    assert.ok(!b.lookup('web').some((i) => i.id === 'brief'))
  })

  it('a node without the pre-shared key cannot connect', async () => {
    const { a } = cluster
    const outsider = await startNode({}, cluster.nodes)
    const libp2p = (meshOf(outsider).transport as Libp2pTransport).libp2p
    await assert.rejects(libp2p.dial(multiaddr(a.addresses()[0] as string)))
    assert.ok(!a.peers().includes(outsider.peerId))
    assert.equal(outsider.peers().length, 0)
  })
})
