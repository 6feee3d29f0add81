/**
 * go-micro `registry` behaviours a ported program relies on, each written from go-micro v1.18's
 * own tests or source (cited per test, paraphrased), not from this implementation.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import {
  EventType,
  eventTypeString,
  NotFoundError,
  newRegistry,
  type Registry,
  remove,
  type Service,
  WatcherStoppedError,
} from '../../src/compat/micro/index.ts'
import { InvalidArgumentError } from '../../src/contract.ts'
import { type Cluster, deadline, startCluster } from './helpers.ts'

const service = (id: string, address: string, metadata: Record<string, string> = {}): Service => ({
  name: 'go.micro.srv.foo',
  version: '1.0.0',
  metadata: {},
  endpoints: [],
  nodes: [{ id, address, metadata }],
})

describe('from go-micro: registry', () => {
  let cluster: Cluster
  let a: Registry
  let b: Registry
  beforeEach(async () => {
    cluster = await startCluster(2)
    ;[a, b] = cluster.nodes.map((n) => newRegistry(n)) as [Registry, Registry]
  })
  afterEach(() => cluster.stop())

  // etcd/etcd.go Register and Deregister: "Require at least one node".
  it('Register and Deregister of a Service without nodes fail', async () => {
    const empty = { ...service('x', 'y'), nodes: [] }
    await assert.rejects(a.register(empty), InvalidArgumentError)
    await assert.rejects(a.deregister(empty), InvalidArgumentError)
  })

  // memory/memory_test.go TestMemoryRegistry: after every node is deregistered, GetService
  // returns ErrNotFound and no services; etcd.go GetService: no keys is ErrNotFound.
  it('GetService of a service without nodes is ErrNotFound', async () => {
    await assert.rejects(b.getService('go.micro.srv.foo'), NotFoundError)
    await a.register(service('foo-1', '10.0.0.1:80'))
    await cluster.settle()
    assert.equal((await b.getService('go.micro.srv.foo'))[0]?.nodes.length, 1)
    await a.deregister(service('foo-1', '10.0.0.1:80'))
    await cluster.settle()
    await assert.rejects(b.getService('go.micro.srv.foo'), NotFoundError)
  })

  // watcher_test.go TestWatcher: a registration is a "create" result, a deregistration a
  // "delete" result, each carrying the service with the node. etcd.go registerNode: a node
  // whose hash is unchanged is not written again, so re-registering (every RegisterInterval)
  // yields no result; a changed node is a put on an existing key, an "update".
  it('Watch: create, no event for an unchanged re-register, update on change, delete', async () => {
    const watcher = b.watch({ service: 'go.micro.srv.foo' })
    await a.register(service('foo-1', '10.0.0.1:80'))
    await cluster.settle()
    await a.register(service('foo-1', '10.0.0.1:80'))
    await cluster.settle()
    await a.register(service('foo-1', '10.0.0.1:80', { zone: 'b' }))
    await cluster.settle()
    await a.deregister(service('foo-1', '10.0.0.1:80'))
    await cluster.settle()
    const results = [
      await deadline(watcher.next()),
      await deadline(watcher.next()),
      await deadline(watcher.next()),
    ]
    assert.deepEqual(
      results.map((r) => [r.action, r.service.nodes[0]?.id, r.service.nodes[0]?.metadata.zone]),
      [
        ['create', 'foo-1', undefined],
        ['update', 'foo-1', 'b'],
        ['delete', 'foo-1', 'b'],
      ],
    )
    watcher.stop()
    // mdns_watcher.go Next: a stopped watcher returns ErrWatcherStopped.
    await assert.rejects(watcher.next(), WatcherStoppedError)
  })
})

describe('from go-micro: util and event types', () => {
  // util_test.go TestRemove: removing a service whose node id matches leaves nothing.
  it('Remove drops a service left without nodes', () => {
    assert.deepEqual(remove([service('foo-123', 'localhost:9999')], [service('foo-123', 'x')]), [])
  })

  // util_test.go TestRemoveNodes: only the node with the removed id goes.
  it('Remove keeps the nodes whose id is not removed', () => {
    const two: Service = {
      ...service('foo-123', 'localhost:9999'),
      nodes: [
        { id: 'foo-123', address: 'localhost:9999', metadata: {} },
        { id: 'foo-321', address: 'localhost:6666', metadata: {} },
      ],
    }
    const left = remove([two], [service('foo-123', 'localhost:6666')])
    assert.deepEqual(
      left[0]?.nodes.map((n) => n.id),
      ['foo-321'],
    )
  })

  // watcher.go EventType.String: create, delete, update.
  it('EventType strings', () => {
    assert.deepEqual([EventType.Create, EventType.Delete, EventType.Update].map(eventTypeString), [
      'create',
      'delete',
      'update',
    ])
  })
})
