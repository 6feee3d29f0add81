/**
 * A hostile member (it holds the cluster key) minting owner keys on real TCP: a flood of fresh
 * owners, each with a registration and a 24 h lease, and forged heartbeats toward a quorum.
 * Honest nodes hold no more than their budget, relay none of the excess, keep counting the
 * cluster they had (their heartbeat schedule and so their crash detection stay as they were),
 * and a quorum counts only nodes seen directly.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { newClient } from '../../src/compat/discoverd/index.ts'
import { createElection, type Election } from '../../src/election/index.ts'
import { handoverDelayMs } from '../../src/election/quorum.ts'
import { encodeFrame } from '../../src/membership/frame.ts'
import { signingDomain } from '../../src/membership/identity.ts'
import type { LocalOwner } from '../../src/membership/owner.ts'
import { ServiceSet } from '../../src/membership/service-set.ts'
import type { Statement } from '../../src/membership/statement.ts'
import { MAX_LEADER_TERM } from '../../src/membership/statement.ts'
import * as wire from '../../src/membership/wire.ts'
import { meshOf } from '../../src/node/gossip-node.ts'
import { type GossipNode, generateSwarmKey } from '../../src/node/index.ts'
import {
  CLUSTER,
  type Cluster,
  eventLoopDelayDuring,
  flushedThrough,
  frameOf,
  honestCluster,
  hostileMember,
  mintedOwner,
  startNode,
  until,
  viewOf,
} from './hostile.ts'

/** The local preset's TTL and heartbeat interval. */
const TTL_MS = 1500
const HEARTBEAT_MS = 250
const DAY_MS = 86_400_000

/** Owners minted, registrations and heartbeats each: ten times what one neighbour may bring. */
const FLOOD = 1500
const LIMITS = { maxOwners: 300, maxOwnersPerPeer: 150, maxVouchesPerPeer: 2 }

/**
 * Each minted owner's registration of `service` (TTL 24 h) and a heartbeat vouching for it with
 * a 24 h lease, the owner's creation time `createdAt`; in frames of 100 owners.
 */
function mintedFrames(
  owners: readonly LocalOwner[],
  service: string,
  createdAt: number,
): Uint8Array[] {
  const set = new ServiceSet()
  const statements: Statement[][] = []
  for (const owner of owners) {
    const registration = owner.register(
      { service, id: 'x', addresses: ['10.0.0.1:1'], ttlMs: DAY_MS },
      createdAt,
    )
    set.apply(registration, 0)
    statements.push([registration, owner.heartbeat(set, DAY_MS)])
  }
  const frames: Uint8Array[] = []
  for (let i = 0; i < statements.length; i += 100)
    frames.push(frameOf(statements.slice(i, i + 100).flat()))
  return frames
}

/**
 * Elections on `a` and `b`, once both name one claimed leader of `web`; `leaders()` gives each
 * one's as key@term/claim.
 */
async function agreedElections(
  a: GossipNode,
  b: GossipNode,
): Promise<{ elections: Election[]; leaders: () => string[] }> {
  const elections = [a, b].map((n) => createElection(n))
  const leaders = (): string[] =>
    elections.map((e: Election) => {
      const l = e.leader('web')
      return l === undefined ? 'none' : `${l.instance.key}@${l.term}/${l.instance.leaderTerm}`
    })
  await until(() => {
    const [x, y] = leaders()
    return x === y && x !== 'none' && !(x as string).endsWith('/0')
  }, 'a claimed leader agreed on')
  return { elections, leaders }
}

describe('adversarial: a member minting owners', () => {
  const clusters: Cluster[] = []

  after(async () => {
    await Promise.all(clusters.flatMap((c) => c.nodes).map((n) => n.stop()))
  })

  it('a flood of fresh owners with 24 h leases is held within the budget, not relayed, and not counted as nodes', async (t) => {
    const cluster = await honestCluster({ limits: LIMITS })
    clusters.push(cluster)
    const { a, b } = cluster
    const h = await hostileMember(cluster)
    const frames = mintedFrames(
      Array.from({ length: FLOOD }, () => mintedOwner()),
      'flood',
      Date.now(),
    )
    const honest = { a: viewOf(a), b: viewOf(b) }
    const heapBefore = process.memoryUsage().heapUsed
    const delay = await eventLoopDelayDuring(async () => {
      for (const frame of frames) await h.publish(frame)
      // Each owner past what `h` may bring costs two refusals (registration and heartbeat).
      await until(
        () => a.stats().quota.peerOwners >= 2 * (FLOOD - LIMITS.maxOwnersPerPeer),
        'the flood refused at a',
      )
      await flushedThrough(a, b, 'after-flood')
    })
    const sa = a.stats()
    const sb = b.stats()
    t.diagnostic(
      `a holds ${sa.ownersHeld} owners, ${sa.bytesHeld} bytes; b ${sb.ownersHeld}, ${sb.bytesHeld}; ` +
        `live nodes a ${a.liveNodes().length}, b ${b.liveNodes().length}; heap +${((process.memoryUsage().heapUsed - heapBefore) / 1e6).toFixed(1)} MB; ` +
        `event loop max ${(delay.max / 1e6).toFixed(0)} ms`,
    )
    assert.ok(sa.ownersHeld <= LIMITS.maxOwners, `a holds ${sa.ownersHeld} owners`)
    assert.ok(sa.ownersHeld <= LIMITS.maxOwnersPerPeer + 3, `a holds ${sa.ownersHeld} owners`)
    assert.equal(sa.rejected.ERR_QUOTA, sa.quota.peerOwners)
    // Nothing refused at a was relayed: b holds only owners a holds.
    const heldAtA = meshOf(a).replica.set
    for (const id of meshOf(b).replica.set.owners()) assert.ok(heldAtA.holds(id), `${id} at b only`)
    // Counted as nodes: a, b, h and the two h vouches for; b: itself, a and two a vouches for.
    assert.ok(a.liveNodes().length <= 3 + 2 * LIMITS.maxVouchesPerPeer, `${a.liveNodes().length}`)
    assert.ok(b.liveNodes().length <= 2 + 2 * LIMITS.maxVouchesPerPeer, `${b.liveNodes().length}`)
    for (const node of [a, b])
      assert.equal(
        meshOf(node).heartbeatSchedule.heartbeatIntervalMs,
        HEARTBEAT_MS,
        'heartbeats stretched',
      )
    assert.deepEqual({ a: viewOf(a), b: viewOf(b) }, honest)
    assert.ok(delay.max / 1e6 < TTL_MS, `event loop blocked ${delay.max / 1e6} ms`)
  })

  it('forged heartbeats do not make a quorum: it counts only nodes seen directly', async () => {
    const psk = generateSwarmKey()
    const nodes: GossipNode[] = []
    const a = await startNode({ psk }, nodes)
    const cluster: Cluster = { psk, a, b: a, nodes }
    clusters.push(cluster)
    // Five expected: a and the hostile member are two; three minted owners would make five.
    const election = createElection(a, { quorum: { expectedNodes: 5 } })
    await a.register({ service: 'db', id: 'a', addresses: ['127.0.0.1:5'] })
    const h = await hostileMember(cluster)
    const minted = Array.from({ length: 3 }, () => mintedOwner())
    for (const frame of mintedFrames(minted, 'other', Date.now())) await h.publish(frame)
    // They arrive, and count toward the cluster's size (h vouches for up to 8): not its quorum.
    await until(
      () => minted.every((m) => a.liveNodes().includes(m.ownerId)),
      'the forged heartbeats live at a',
    )
    // Past the wait a majority needs before naming anyone, nothing is named.
    const startedAt = Date.now()
    const window = handoverDelayMs(TTL_MS, { maxClockDriftRatio: 0.01 }) + 4 * HEARTBEAT_MS
    await until(() => Date.now() - startedAt > window, 'the handover window')
    assert.equal(election.leader('db'), undefined)
    election.close()
  })

  it('a minted owner with the oldest creation time or a high claim is held but never leads', async () => {
    const cluster = await honestCluster()
    clusters.push(cluster)
    const { a, b } = cluster
    const { elections, leaders } = await agreedElections(a, b)
    const before = leaders()
    // The discoverd face at b names the leader the elections name, before and after.
    const face = newClient(b).newServiceSet('web')
    const faceLeader = (): string | undefined => face.leader()?.addr
    const leaderAddress = elections[1]?.leader('web')?.instance.addresses[0]
    assert.equal(faceLeader(), leaderAddress)
    const h = await hostileMember(cluster)
    // Two owners with no process and no connection: one registered at the epoch (first in any
    // succession by age), one claiming a term far above the leader's (below the bound).
    const [oldest, claimant] = [mintedOwner(), mintedOwner()]
    const spec = { service: 'web', id: 'm', addresses: ['10.0.0.2:1'], ttlMs: DAY_MS }
    const set = new ServiceSet()
    const statements: Statement[] = []
    for (const [owner, registration] of [
      [oldest, oldest.register(spec, 1)],
      [claimant, claimant.register(spec, 1, 1000)],
    ] as const) {
      set.apply(registration, 0)
      statements.push(registration, owner.heartbeat(set, DAY_MS))
    }
    await h.publish(frameOf(statements))
    // The hostile member itself runs as a node: attested once a's heartbeat lists it at b.
    await until(
      () => b.lookup('web').length === 4 && b.attested(h.node.peerId),
      'the minted instances and the hostile member held at b',
    )
    await flushedThrough(a, b, 'after-minted')
    for (const node of [a, b]) {
      assert.equal(node.attested(oldest.ownerId), false)
      assert.equal(node.attested(claimant.ownerId), false)
    }
    assert.deepEqual(leaders(), before, 'the claim preempted the leader')
    assert.equal(faceLeader(), leaderAddress, 'the claim leads in the discoverd face')
    // Succession: the leader leaves; the other honest instance follows, not the oldest minted one.
    const leader = elections[0]?.leader('web')?.instance
    const [leaving, staying] = leader?.owner === a.peerId ? [a, b] : [b, a]
    await leaving.deregister(leader?.key as string)
    await until(() => {
      const [x, y] = leaders()
      return x === y && x !== before[0]
    }, 'a successor agreed on')
    const successor = elections[0]?.leader('web')?.instance
    assert.equal(successor?.owner, staying.peerId)
    assert.equal(faceLeader(), successor?.addresses[0])
    face.close()
    for (const e of elections) e.close()
  })

  it('a claim past the term bound is refused by name and leaves the leader as it was', async () => {
    const cluster = await honestCluster()
    clusters.push(cluster)
    const { a, b } = cluster
    const { elections, leaders } = await agreedElections(a, b)
    const before = leaders()
    const h = await hostileMember(cluster)
    const overflow = mintedOwner()
    // A claim past the bound (2^32), signed as LocalOwner would never sign it.
    const body = wire.StatementBody.encode({
      schema: 2,
      owner: overflow.signer.publicKey,
      incarnation: 1n,
      counter: 1n,
      registration: {
        service: 'web',
        serviceVersion: '',
        instanceId: 'm',
        addresses: ['10.0.0.3:1'],
        metadata: new Map(),
        endpoints: [],
        createdAt: 1n,
        ttlMs: DAY_MS,
        leaderTerm: 2n * BigInt(MAX_LEADER_TERM + 1),
      },
    })
    const forged = {
      owner: overflow.signer.publicKey,
      body,
      signature: overflow.signer.sign(body, signingDomain(CLUSTER)),
    }
    const aBefore = a.stats()
    await h.publish(encodeFrame({ gossip: [{ statement: forged, ageMs: 0 }], wantReply: false }))
    await until(
      () => a.stats().rejected.ERR_OUT_OF_RANGE - aBefore.rejected.ERR_OUT_OF_RANGE === 1,
      'the claim past the bound refused',
    )
    await flushedThrough(a, b, 'after-minted')
    assert.deepEqual(leaders(), before)
    for (const e of elections) e.close()
  })
})
