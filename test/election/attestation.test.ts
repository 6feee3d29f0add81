/**
 * Attestation with the real mesh and election over the in-memory network: a node that has just
 * joined (its heartbeat not yet listing anyone, nobody's listing it) does not claim leadership
 * and then preempt the established leader once it is attested, even with the oldest
 * registration (its clock a minute behind); and every node ends up attesting every other.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { createElection, SkewedScheduler } from '../../src/election/index.ts'
import { signerFromSeed } from '../../src/membership/identity.ts'
import { Mesh } from '../../src/mesh/mesh.ts'
import { type Cluster, type SimNode, startCluster } from './cluster.ts'

describe('attestation in the election', () => {
  const clusters: Cluster[] = []
  after(async () => {
    for (const cluster of clusters) await cluster.stop()
  })

  it('a newcomer with the oldest registration does not take over a claimed leader', async () => {
    const cluster = await startCluster({ size: 3, seed: 16 })
    clusters.push(cluster)
    for (const node of cluster.nodes) await cluster.register(node, 'svc')
    await cluster.advance(3000)
    const leaderOf = (node: SimNode): string => {
      const l = node.election.leader('svc')
      return l === undefined ? 'none' : `${l.instance.id}@${l.term}/${l.instance.leaderTerm}`
    }
    const established = leaderOf(cluster.nodes[0] as SimNode)
    assert.match(established, /@1\/1$/, 'a first leader, claimed')
    for (const node of cluster.nodes) assert.equal(leaderOf(node), established)
    const changes: string[] = []
    for (const node of cluster.nodes)
      node.election.subscribe((e) => {
        if (e.type === 'leader') changes.push(`${node.index}: ${e.leader?.instance.id}`)
      })

    // The newcomer's clock runs a minute behind: its registration is the oldest of the service.
    const clock = new SkewedScheduler(cluster.scheduler, { offsetMs: -60_000 })
    const signer = signerFromSeed(new Uint8Array(32).fill(16))
    const mesh = new Mesh({
      transport: cluster.net.createTransport(signer.ownerId),
      signer,
      scheduler: clock,
      config: cluster.config,
    })
    await mesh.start()
    const election = createElection(mesh)
    const newcomer: SimNode = {
      index: 3,
      mesh,
      clock,
      election,
      handles: new Map(),
      crashed: false,
    }
    cluster.nodes.push(newcomer)
    const own = await cluster.register(newcomer, 'svc')
    const named = new Set<string>()
    election.subscribe((e) => {
      if (e.type === 'leader') named.add(`${e.leader?.instance.id}@${e.leader?.term}`)
    })
    await cluster.advance(5000)

    assert.deepEqual(changes, [], 'an established node changed its leader')
    for (const node of cluster.nodes) assert.equal(leaderOf(node), established)
    assert.equal(own.instance.leaderTerm, 0, 'the newcomer claimed')
    assert.ok(
      [...named].every((n) => !n.startsWith('n3@')),
      `the newcomer named itself: ${[...named]}`,
    )
    for (const node of cluster.nodes)
      for (const other of cluster.nodes)
        assert.equal(node.mesh.attested(other.mesh.peerId), true, `${node.index} → ${other.index}`)
  })
})
