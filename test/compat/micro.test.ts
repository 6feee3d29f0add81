import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { main } from '../../examples/micro.ts'
import {
  copy,
  copyService,
  EventType,
  eventOf,
  eventTypeString,
  merge,
  meshInitFrom,
  NotFoundError,
  newRegistry,
  type Registry,
  remove,
  type Service,
  TimeoutError,
  WatcherStoppedError,
} from '../../src/compat/micro/index.ts'
import type { DiscoveryNode } from '../../src/contract.ts'
import { InvalidArgumentError } from '../../src/membership/errors.ts'
import { VirtualScheduler } from '../../src/mesh/scheduler.ts'
import { type Cluster, deadline, flush, pair, startCluster } from './helpers.ts'

function service(version: string, ...ids: string[]): Service {
  return {
    name: 'greeter',
    version,
    metadata: { team: 'core' },
    endpoints: [
      {
        name: 'Say.Hello',
        request: {
          name: 'Request',
          type: 'Request',
          values: [{ name: 'name', type: 'string', values: [] }],
        },
        response: { name: 'Response', type: 'Response', values: [] },
        metadata: { stream: 'false' },
      },
    ],
    nodes: ids.map((id, i) => ({ id, address: `10.0.0.1:${9000 + i}`, metadata: { zone: 'a' } })),
  }
}

describe('micro: Registry over the mesh', () => {
  let cluster: Cluster
  let server: Registry
  let client: Registry
  beforeEach(async () => {
    cluster = await startCluster(2)
    const [a, b] = pair(cluster.nodes)
    server = newRegistry(a)
    client = newRegistry(b)
  })
  afterEach(() => cluster.stop())

  it('register then getService from another node returns one Service per version', async () => {
    await server.register(service('1.0.0', 'g1', 'g2'))
    await server.register(service('2.0.0', 'g3'))
    await cluster.settle()
    const found = await client.getService('greeter')
    assert.deepEqual(
      found.map((s) => [s.version, s.nodes.map((n) => n.id)]),
      [
        ['1.0.0', ['g1', 'g2']],
        ['2.0.0', ['g3']],
      ],
    )
  })

  it('round-trips service metadata, node metadata, addresses and endpoints', async () => {
    await server.register(service('1.0.0', 'g1'))
    await cluster.settle()
    const [found] = await client.getService('greeter')
    assert.deepEqual(found, service('1.0.0', 'g1'))
  })

  it('getService of an unknown service rejects with NotFoundError (ErrNotFound)', async () => {
    await assert.rejects(client.getService('nope'), (err: unknown) => {
      assert.ok(err instanceof NotFoundError)
      assert.equal(err.code, 'ERR_NOT_FOUND')
      return true
    })
  })

  it('deregister removes the nodes everywhere', async () => {
    await server.register(service('1.0.0', 'g1'))
    await cluster.settle()
    await server.deregister(service('1.0.0', 'g1'))
    await cluster.settle()
    await assert.rejects(client.getService('greeter'), NotFoundError)
  })

  it('register with the TTL option sets the TTL, and a silent owner expires after it', async () => {
    await server.register(service('1.0.0', 'g1'), { ttl: 2000 })
    await cluster.settle()
    const [a, b] = pair(cluster.nodes)
    assert.equal(b.lookup('greeter')[0]?.ttlMs, 2000)
    cluster.network.partition([a.peerId], [b.peerId])
    await cluster.settle(1900)
    assert.equal(b.lookup('greeter').length, 1, 'still within the TTL')
    await cluster.settle(300)
    await assert.rejects(client.getService('greeter'), NotFoundError)
  })

  it('listServices returns every service by name only', async () => {
    await server.register(service('1.0.0', 'g1'))
    await server.register({ ...service('1.0.0', 'x1'), name: 'auth' })
    await cluster.settle()
    const list = await client.listServices()
    assert.deepEqual(
      list.map((s) => [s.name, s.nodes.length]),
      [
        ['auth', 0],
        ['greeter', 0],
      ],
    )
  })

  it('watch yields create, update and delete results with typed and string actions', async () => {
    const watcher = client.watch()
    await server.register(service('1.0.0', 'g1'))
    await cluster.settle()
    await server.register({ ...service('1.0.0', 'g1'), metadata: { team: 'edge' } })
    await cluster.settle()
    await server.deregister(service('1.0.0', 'g1'))
    await cluster.settle()
    const results = [await watcher.next(), await watcher.next(), await watcher.next()]
    assert.deepEqual(
      results.map((r) => [r.type, r.action]),
      [
        [EventType.Create, 'create'],
        [EventType.Update, 'update'],
        [EventType.Delete, 'delete'],
      ],
    )
    assert.equal(results[1]?.service.metadata.team, 'edge')
    assert.equal(results[0]?.service.nodes[0]?.id, 'g1')
    watcher.stop()
  })

  it('watch reports an expired node as a delete', async () => {
    await server.register(service('1.0.0', 'g1'))
    await cluster.settle()
    const watcher = client.watch()
    const [a, b] = pair(cluster.nodes)
    cluster.network.partition([a.peerId], [b.peerId])
    await cluster.settle(2000)
    const result = await deadline(watcher.next())
    assert.equal(result.type, EventType.Delete)
    watcher.stop()
  })

  it('watch with a service filter only reports that service', async () => {
    const watcher = client.watch({ service: 'greeter' })
    await server.register({ ...service('1.0.0', 'x1'), name: 'auth' })
    await server.register(service('1.0.0', 'g1'))
    await cluster.settle()
    const result = await deadline(watcher.next())
    assert.equal(result.service.name, 'greeter')
    watcher.stop()
  })

  it('next() after stop() rejects with WatcherStoppedError, and stop() ends a pending next()', async () => {
    const watcher = client.watch()
    const pending = watcher.next()
    watcher.stop()
    await assert.rejects(deadline(pending), WatcherStoppedError)
    await assert.rejects(watcher.next(), (err: unknown) => {
      assert.ok(err instanceof WatcherStoppedError)
      assert.equal(err.code, 'ERR_WATCHER_STOPPED')
      return true
    })
    watcher.stop()
  })

  it('toString names the implementation', () => {
    assert.equal(server.toString(), 'mesh')
  })

  it('wrong types raise InvalidArgumentError instead of crashing', async () => {
    assert.throws(() => newRegistry({} as DiscoveryNode), InvalidArgumentError)
    await assert.rejects(server.register(null as unknown as Service), InvalidArgumentError)
    await assert.rejects(
      server.register({ ...service('1', 'g'), nodes: [{ id: 7 }] } as unknown as Service),
      InvalidArgumentError,
    )
    await assert.rejects(server.register(service('1', 'g'), { ttl: -1 }), InvalidArgumentError)
    await assert.rejects(server.getService(5 as unknown as string), InvalidArgumentError)
    assert.throws(() => server.watch({ service: 3 as unknown as string }), InvalidArgumentError)
  })
})

describe('micro: options', () => {
  it('init applies options over the current ones and options() returns a copy', async () => {
    const cluster = await startCluster(1)
    const registry = newRegistry(cluster.nodes[0] as DiscoveryNode, {
      addrs: ['/ip4/10.0.0.9/tcp/4001'],
    })
    assert.deepEqual(registry.options(), {
      addrs: ['/ip4/10.0.0.9/tcp/4001'],
      timeout: 1000,
      secure: false,
    })
    registry.init({ timeout: 250 })
    const options = registry.options()
    assert.equal(options.timeout, 250)
    assert.deepEqual(options.addrs, ['/ip4/10.0.0.9/tcp/4001'])
    options.addrs.push('mutated')
    assert.equal(registry.options().addrs.length, 1)
    assert.throws(
      () => registry.init({ secure: 'yes' as unknown as boolean }),
      InvalidArgumentError,
    )
    assert.throws(() => registry.init({ timeout: Number.NaN }), InvalidArgumentError)
    assert.throws(
      () => registry.init({ tlsConfig: { preSharedKey: 'k' as unknown as Uint8Array } }),
      InvalidArgumentError,
    )
    await cluster.stop()
  })

  it('addrs map to bootstrap peers and secure + tlsConfig to the pre-shared key', async () => {
    const cluster = await startCluster(1)
    const key = new Uint8Array([1, 2, 3])
    const registry = newRegistry(cluster.nodes[0] as DiscoveryNode, {
      addrs: ['/ip4/10.0.0.9/tcp/4001'],
      secure: true,
      tlsConfig: { preSharedKey: key },
    })
    assert.deepEqual(meshInitFrom(registry.options()), {
      bootstrap: ['/ip4/10.0.0.9/tcp/4001'],
      psk: key,
    })
    registry.init({ secure: false })
    assert.deepEqual(meshInitFrom(registry.options()), { bootstrap: ['/ip4/10.0.0.9/tcp/4001'] })
    await cluster.stop()
  })

  it('timeout bounds register on the node clock with TimeoutError', async () => {
    const scheduler = new VirtualScheduler()
    const stuck = {
      peerId: 'p',
      scheduler,
      register: () => new Promise(() => undefined),
      lookup: () => [],
      subscribe: () => () => undefined,
    } as unknown as DiscoveryNode
    const registry = newRegistry(stuck, { timeout: 50 })
    const pending = registry.register(service('1', 'g1'))
    scheduler.advance(49)
    await flush()
    scheduler.advance(1)
    await assert.rejects(deadline(pending), TimeoutError)
    let settled = false
    void newRegistry(stuck, { timeout: 0 })
      .register(service('1', 'g2'))
      .finally(() => {
        settled = true
      })
    scheduler.advance(60_000)
    await flush()
    assert.equal(settled, false, 'timeout 0: no bound')
  })
})

describe('micro: events and helpers', () => {
  it('EventType.String() gives create, delete, update', () => {
    assert.deepEqual([EventType.Create, EventType.Delete, EventType.Update].map(eventTypeString), [
      'create',
      'delete',
      'update',
    ])
  })

  it('eventOf builds a registry Event from a Result', () => {
    const s = service('1', 'g1')
    const event = eventOf({ type: EventType.Create, action: 'create', service: s }, 1000)
    assert.deepEqual(event, {
      id: 'g1',
      type: EventType.Create,
      timestamp: new Date(1000),
      service: s,
    })
  })

  it('copy and copyService are deep', () => {
    const original = service('1', 'g1')
    const single = copyService(original)
    const list = copy([original])
    single.nodes[0]!.metadata.zone = 'b'
    list[0]!.endpoints[0]!.metadata.stream = 'true'
    assert.deepEqual(original, service('1', 'g1'))
  })

  it('merge adds nodes to the same version (new node wins) and appends new versions', () => {
    const old = [service('1', 'a', 'b')]
    const changed = service('1', 'b', 'c')
    changed.nodes[0]!.address = 'new'
    const merged = merge(old, [changed, service('2', 'z')])
    assert.deepEqual(
      merged.map((s) => [s.version, s.nodes.map((n) => `${n.id}@${n.address}`)]),
      [
        ['1', ['b@new', 'c@10.0.0.1:9001', 'a@10.0.0.1:9000']],
        ['2', ['z@10.0.0.1:9000']],
      ],
    )
    assert.deepEqual(old, [service('1', 'a', 'b')], 'inputs untouched')
  })

  it('remove deletes nodes by version and drops services left empty', () => {
    const old = [service('1', 'a', 'b'), service('2', 'z')]
    const left = remove(old, [service('1', 'a'), service('2', 'z')])
    assert.deepEqual(
      left.map((s) => [s.version, s.nodes.map((n) => n.id)]),
      [['1', ['b']]],
    )
    assert.equal(old[0]?.nodes.length, 2, 'inputs untouched')
  })
})

describe('micro: example', () => {
  it('examples/micro.ts runs and shows both versions and the watch results', async () => {
    assert.deepEqual(await main(), {
      versions: ['1.0.0:10.0.0.1:9001', '2.0.0:10.0.0.1:9002'],
      actions: ['create 1.0.0', 'create 2.0.0', 'delete 1.0.0'],
    })
  })
})
