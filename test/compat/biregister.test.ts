import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { main } from '../../examples/biregister.ts'
import {
  ChangeOp,
  NameTakenError,
  newRegister,
  newRegisterNoName,
  newWatcher,
} from '../../src/compat/biregister/index.ts'
import { etcd } from '../../src/compat/gokit/index.ts'
import type { DiscoveryNode } from '../../src/contract.ts'
import { InvalidArgumentError } from '../../src/membership/errors.ts'
import { take } from './biregister-changes.ts'
import { type Cluster, deadline, startCluster } from './helpers.ts'

describe('biregister', () => {
  let cluster: Cluster
  let n: DiscoveryNode[]
  beforeEach(async () => {
    cluster = await startCluster(3)
    n = cluster.nodes
  })
  afterEach(() => cluster.stop())
  const node = (i: number) => n[i] as DiscoveryNode

  it('Watcher caches name -> value under the prefix: getAll, getNames, getValues, getValueByName', async () => {
    await newRegister(node(0), '/svc/', 'a', 'va', 5)
    await newRegister(node(1), '/svc/', 'b', 'vb', 5)
    await newRegister(node(1), '/other/', 'c', 'vc', 5)
    await cluster.settle()
    const watcher = newWatcher(node(2), '/svc/', 5)
    assert.deepEqual(watcher.getAll(), { a: 'va', b: 'vb' })
    assert.deepEqual(watcher.getNames().sort(), ['a', 'b'])
    assert.deepEqual(watcher.getValues().sort(), ['va', 'vb'])
    assert.equal(watcher.getValueByName('b'), 'vb')
    assert.equal(watcher.getValueByName('zzz'), undefined)
    watcher.close()
  })

  it('name is the key without the prefix, for any prefix and nested names', async () => {
    const reg = await newRegister(node(0), '/app/v1-', 'eu/node-1', 'x', 5)
    assert.equal(reg.myKey(), '/app/v1-eu/node-1')
    await cluster.settle()
    assert.deepEqual(newWatcher(node(1), '/app/v1-', 5).getAll(), { 'eu/node-1': 'x' })
    assert.deepEqual(newWatcher(node(1), '/app/', 5).getAll(), { 'v1-eu/node-1': 'x' })
  })

  it('the cache follows registrations, value changes, deletions and expiry', async () => {
    const watcher = newWatcher(node(2), '/svc/', 5)
    const a = await newRegister(node(0), '/svc/', 'a', 'v1', 2)
    await cluster.settle()
    assert.equal(watcher.getValueByName('a'), 'v1')
    await node(0).register({ service: '/svc', id: 'a', addresses: ['v2'], ttlMs: 2000 })
    await cluster.settle()
    assert.equal(watcher.getValueByName('a'), 'v2')
    a.close() // its lease lapses after ttl (2 s)
    await cluster.settle(2500)
    assert.deepEqual(watcher.getAll(), {})
    await newRegister(node(1), '/svc/', 'b', 'vb', 2)
    await cluster.settle()
    cluster.network.partition([node(1).peerId], [node(0).peerId, node(2).peerId])
    await cluster.settle(1900)
    assert.equal(watcher.getValueByName('b'), 'vb', 'within its ttl')
    await cluster.settle(300)
    assert.equal(watcher.getValueByName('b'), undefined, 'expired after ttl seconds')
  })

  it('getLeader is the oldest registration; undefined when there is none', async () => {
    const watcher = newWatcher(node(2), '/svc/', 5)
    assert.equal(watcher.getLeader(), undefined)
    await newRegister(node(1), '/svc/', 'second-name-first', 'v1', 5)
    await cluster.settle()
    await newRegister(node(0), '/svc/', 'a-later', 'v0', 5)
    await cluster.settle()
    assert.deepEqual(watcher.getLeader(), { name: 'second-name-first', value: 'v1' })
  })

  it('changes() starts with a PUT per existing name (oldest first), then PUT and DELETE; one shared stream', async () => {
    await newRegister(node(1), '/svc/', 'old', 'v', 5)
    await cluster.settle()
    const young = await newRegister(node(0), '/svc/', 'young', 'v', 5)
    await cluster.settle()
    const watcher = newWatcher(node(2), '/svc/', 5)
    assert.equal(watcher.changes(), watcher.changes())
    await newRegister(node(0), '/svc/', 'new', 'v', 5)
    await cluster.settle()
    young.close()
    await cluster.settle(5500)
    assert.deepEqual(await take(watcher.changes(), 4), [
      'PUT old',
      'PUT young',
      'PUT new',
      'DELETE young',
    ])
    assert.equal(ChangeOp.Put, 'PUT')
    assert.equal(ChangeOp.Delete, 'DELETE')
  })

  it('close() ends changes() and resolves closed()', async () => {
    const watcher = newWatcher(node(0), '/svc/', 5)
    let closed = false
    void watcher.closed().then(() => {
      closed = true
    })
    watcher.close()
    watcher.close()
    await deadline(watcher.closed())
    assert.equal(closed, true)
    assert.equal((await deadline(watcher.changes().next())).done, true)
  })

  it('node() returns the discovery node (biregister EtcdClient())', () => {
    assert.equal(newWatcher(node(0), '/svc/', 5).node(), node(0))
  })

  it('Register: myKey, myName, amILeader; after close the key lapses with its lease (ttl), then leadership moves', async () => {
    // biregister's Close closes the etcd client: the lease keep-alive stops, the key stays until
    // the lease's ttl runs out, and the watcher elects the next lowest create revision only
    // once the leader's key is deleted (watcher.go updateLoop).
    const first = await newRegister(node(0), '/svc/', 'one', 'v1', 5)
    await cluster.settle()
    const second = await newRegister(node(1), '/svc/', 'two', 'v2', 5)
    await cluster.settle()
    assert.equal(first.myKey(), '/svc/one')
    assert.equal(first.myName(), 'one')
    assert.deepEqual([first.amILeader(), second.amILeader()], [true, false])
    assert.deepEqual(second.getAll(), { one: 'v1', two: 'v2' }, 'a Register is a Watcher too')
    first.close()
    await cluster.settle(4000)
    assert.deepEqual(second.getLeader(), { name: 'one', value: 'v1' }, 'the lease still runs')
    await cluster.settle(1500)
    assert.deepEqual([first.amILeader(), second.amILeader()], [false, true])
    assert.deepEqual(second.getLeader(), { name: 'two', value: 'v2' })
  })

  it('Register with a taken name rejects with NameTakenError', async () => {
    await newRegister(node(0), '/svc/', 'one', 'v1', 5)
    await cluster.settle()
    await assert.rejects(newRegister(node(1), '/svc/', 'one', 'v2', 5), (err: unknown) => {
      assert.ok(err instanceof NameTakenError)
      assert.equal(err.code, 'ERR_NAME_TAKEN')
      return true
    })
  })

  it('Register ttl (seconds) becomes the instance TTL', async () => {
    await newRegister(node(0), '/svc/', 'one', 'v1', 7)
    await cluster.settle()
    assert.equal(node(1).lookup('/svc')[0]?.ttlMs, 7000)
  })

  it('without a name, Register names itself "/" + an increasing 20-digit number + "-" + peer ID', async () => {
    const first = await newRegisterNoName(node(0), '/svc/', 'v', 5)
    const second = await newRegisterNoName(node(0), '/svc/', 'v', 5) // same millisecond
    await cluster.settle()
    const third = await newRegisterNoName(node(1), '/svc/', 'v', 5)
    const names = [first, second, third].map((r) => r.myName())
    for (const [i, name] of names.entries()) {
      assert.match(name, /^\/\d{20}-/, name)
      assert.ok(name.endsWith(node(i < 2 ? 0 : 1).peerId))
    }
    assert.equal(new Set(names).size, 3, 'unique')
    assert.deepEqual([...names].sort(), names, 'sorted in registration order')
    assert.equal(first.myKey(), `/svc/${first.myName()}`)
    assert.equal(third.getValueByName(first.myName()), 'v')
  })

  it('sees keys written through the go-kit sd/etcd face (one keyspace)', async () => {
    await etcd
      .newMeshClient(node(0))
      .register({ key: '/services/api/10.0.0.1:80', value: 'http://10.0.0.1:80' })
    await cluster.settle()
    assert.deepEqual(newWatcher(node(1), '/services/api/', 5).getAll(), {
      '10.0.0.1:80': 'http://10.0.0.1:80',
    })
  })

  it('wrong types raise InvalidArgumentError', async () => {
    assert.throws(() => newWatcher({} as DiscoveryNode, '/p/', 5), InvalidArgumentError)
    assert.throws(() => newWatcher(node(0), 5 as unknown as string, 5), InvalidArgumentError)
    assert.throws(() => newWatcher(node(0), '/p/', 1.5), InvalidArgumentError)
    await assert.rejects(newRegister(node(0), '/p/', '', 'v', 5), InvalidArgumentError)
    await assert.rejects(
      newRegister(node(0), '/p/', 'n', 3 as unknown as string, 5),
      InvalidArgumentError,
    )
    await assert.rejects(newRegister(node(0), 'noslash', 'name', 'v', 5), InvalidArgumentError)
    assert.throws(
      () => newWatcher(node(0), '/p/', 5).getValueByName(1 as unknown as string),
      InvalidArgumentError,
    )
  })
})

describe('biregister: example', () => {
  it('examples/biregister.ts elects the oldest and fails over', async () => {
    const result = await main()
    assert.deepEqual(result.leaders, [true, false, false])
    assert.equal(result.leaderAfter, 'beta')
    assert.deepEqual(Object.values(result.all).sort(), [
      '10.0.0.1:7000',
      '10.0.0.2:7000',
      '10.0.0.3:7000',
    ])
    assert.deepEqual(
      result.changes.map((c) => c.replace(/\d{20}/, 'N')),
      ['PUT alpha', 'PUT beta', 'PUT /N-<peer>', 'DELETE alpha'],
    )
  })
})
