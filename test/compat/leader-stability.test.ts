/**
 * The faces' leaders are stable as their Go originals: discoverd's Created and etcd's create
 * revision are one global order, so a live leader is never displaced by a later registration.
 * Here the newcomer's owner clock runs an hour behind, so its registration looks an hour older.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { newRegister } from '../../src/compat/biregister/index.ts'
import { newClient } from '../../src/compat/discoverd/index.ts'
import { DEFAULT_CLAIM_DELAY_MS } from '../../src/election/options.ts'
import { type Cluster, type SimNode, startCluster } from '../election/cluster.ts'

const HOUR = 3_600_000

describe('a live leader stays leader when an older-looking newcomer registers', () => {
  let cluster: Cluster
  let first: SimNode
  let late: SimNode
  beforeEach(async () => {
    cluster = await startCluster({ size: 2, skews: [{}, { offsetMs: -HOUR }] })
    ;[first, late] = cluster.nodes as [SimNode, SimNode]
  })
  afterEach(() => cluster.stop())

  it('discoverd: ServiceSet.leader and registerAndStandby keep the first registration', async () => {
    const a = newClient(first.mesh)
    const b = newClient(late.mesh)
    await a.register('db', '10.0.0.1:5432')
    await cluster.advance(DEFAULT_CLAIM_DELAY_MS + 100)
    const { elected } = await b.registerAndStandby('db', '10.0.0.2:5432')
    let won = false
    void elected.then(() => {
      won = true
    })
    await cluster.advance(500)
    const sets = [a.newServiceSet('db'), b.newServiceSet('db')]
    for (const set of sets) assert.equal(set.leader()?.addr, '10.0.0.1:5432')
    assert.equal(sets[0]?.services()[0]?.addr, '10.0.0.2:5432', 'the newcomer looks older')
    assert.equal(won, false)
    await a.unregister('db', '10.0.0.1:5432')
    await cluster.advance(100)
    assert.equal((await elected).addr, '10.0.0.2:5432')
    for (const set of sets) assert.equal(set.leader()?.addr, '10.0.0.2:5432')
    await a.close()
    await b.close()
  })

  it('biregister: getLeader and amILeader keep the first registration', async () => {
    const a = await newRegister(first.mesh, '/locks/', 'a', 'va', 2)
    await cluster.advance(DEFAULT_CLAIM_DELAY_MS + 100)
    const b = await newRegister(late.mesh, '/locks/', 'b', 'vb', 2)
    await cluster.advance(500)
    assert.equal(a.amILeader(), true)
    assert.equal(b.amILeader(), false)
    assert.deepEqual(b.getLeader(), { name: 'a', value: 'va' })
    a.close() // its lease lapses after 2 s
    await cluster.advance(2100)
    assert.equal(b.amILeader(), true)
    b.close()
  })

  it('election: the leader and its term stay; the newcomer leads after it leaves', async () => {
    await cluster.register(first, 'svc')
    await cluster.advance(DEFAULT_CLAIM_DELAY_MS + 100)
    const before = first.election.leader('svc')
    assert.equal(before?.instance.leaderTerm, 1, 'the leader claimed its term')
    await cluster.register(late, 'svc')
    await cluster.advance(500)
    for (const node of cluster.nodes) assert.deepEqual(node.election.leader('svc')?.term, 1)
    assert.equal(late.election.amILeader(late.handles.get('svc')?.key ?? ''), false)
    await first.handles.get('svc')?.deregister()
    await cluster.advance(100)
    for (const node of cluster.nodes) {
      const leader = node.election.leader('svc')
      assert.equal(leader?.instance.owner, late.mesh.peerId)
      assert.equal(leader?.term, 2)
    }
  })
})
