import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { main } from '../../examples/gokit.ts'
import {
  type Closer,
  type Endpoint,
  type Event,
  etcd,
  type Factory,
  fixedInstancer,
  InstanceCache,
  lb,
  newDnsSrvInstancer,
  newEndpointer,
  newInstancer,
  newRegistrar,
} from '../../src/compat/gokit/index.ts'
import type { DiscoveryNode } from '../../src/contract.ts'
import { InvalidArgumentError } from '../../src/membership/errors.ts'
import { VirtualScheduler } from '../../src/mesh/scheduler.ts'
import { type Cluster, deadline, flush, pair, startCluster } from './helpers.ts'

/** A factory whose endpoints answer with their instance and whose closers are recorded. */
function recordingFactory(closed: string[], built: string[] = []): Factory<string, string> {
  return (instance) => {
    built.push(instance)
    const closer: Closer = { close: () => void closed.push(instance) }
    return [async (request) => `${instance}:${request}`, closer]
  }
}

async function call(endpoints: Endpoint<string, string>[], request = 'x'): Promise<string[]> {
  return Promise.all(endpoints.map((e) => e(request)))
}

describe('gokit: Instancer and Registrar over the mesh', () => {
  let cluster: Cluster
  beforeEach(async () => {
    cluster = await startCluster(2)
  })
  afterEach(() => cluster.stop())

  it('newInstancer yields every address of every live instance of the service', async () => {
    const [server, client] = pair(cluster.nodes)
    const events: Event[] = []
    newInstancer(client, 'orders').register((e) => events.push(e))
    await newRegistrar(server, {
      service: 'orders',
      id: 'a',
      addresses: ['10.0.0.1:80', '10.0.0.1:81'],
    }).register()
    await newRegistrar(server, { service: 'other', id: 'b', addresses: ['10.0.0.9:80'] }).register()
    await cluster.settle()
    assert.deepEqual(events.at(-1), { instances: ['10.0.0.1:80', '10.0.0.1:81'] })
  })

  it('an instance that expires (owner cut off past its TTL) leaves the Event', async () => {
    const [server, client] = pair(cluster.nodes)
    const events: Event[] = []
    newInstancer(client, 'orders').register((e) => events.push(e))
    await newRegistrar(server, { service: 'orders', id: 'a', addresses: ['a:1'] }).register()
    await cluster.settle()
    cluster.network.partition([server.peerId], [client.peerId])
    await cluster.settle(2000)
    assert.deepEqual(events.at(-1), { instances: [] })
  })

  it('wrong types raise InvalidArgumentError', () => {
    assert.throws(() => newInstancer({} as DiscoveryNode, 'x'), InvalidArgumentError)
    assert.throws(() => newInstancer(cluster.nodes[0] as DiscoveryNode, ''), InvalidArgumentError)
    assert.throws(() => fixedInstancer('a' as unknown as string[]), InvalidArgumentError)
    assert.throws(() => fixedInstancer([1] as unknown as string[]), InvalidArgumentError)
    assert.throws(() => fixedInstancer([]).register('cb' as never), InvalidArgumentError)
    assert.throws(
      () => newRegistrar(cluster.nodes[0] as DiscoveryNode, null as never),
      InvalidArgumentError,
    )
  })
})

describe('gokit: FixedInstancer', () => {
  it('yields its fixed set to every listener, sorted, and never changes', () => {
    const instancer = fixedInstancer(['b:1', 'a:1'])
    const events: Event[] = []
    instancer.register((e) => events.push(e))
    instancer.register((e) => events.push(e))
    assert.deepEqual(events, [{ instances: ['a:1', 'b:1'] }, { instances: ['a:1', 'b:1'] }])
    instancer.stop()
  })
})

describe('gokit: Endpointer and Factory', () => {
  it('builds one endpoint per instance, in instance order', async () => {
    const endpointer = newEndpointer(fixedInstancer(['b:1', 'a:1']), recordingFactory([]))
    assert.deepEqual(await call(endpointer.endpoints()), ['a:1:x', 'b:1:x'])
  })

  it('runs the closer when an instance goes away and keeps endpoints of the ones that stay', () => {
    const closed: string[] = []
    const built: string[] = []
    const source = new InstanceCache()
    source.update({ instances: ['a', 'b'] })
    const endpointer = newEndpointer(source, recordingFactory(closed, built))
    const before = endpointer.endpoints()
    source.update({ instances: ['b', 'c'] })
    assert.deepEqual(closed, ['a'])
    assert.deepEqual(built, ['a', 'b', 'c'], 'b was not rebuilt')
    assert.equal(endpointer.endpoints()[0], before[1])
    endpointer.close()
    assert.deepEqual(closed.sort(), ['a', 'b', 'c'])
  })

  it('accepts factories without closers and skips instances the factory rejects', async () => {
    const factory: Factory<string, string> = (instance) => {
      if (instance === 'bad') throw new Error('unparseable instance')
      return [async () => instance, undefined]
    }
    const endpointer = newEndpointer(fixedInstancer(['bad', 'good']), factory)
    assert.deepEqual(await call(endpointer.endpoints()), ['good'])
    endpointer.close()
  })

  it('without invalidateOnError an erroring Instancer keeps the last endpoints', () => {
    const source = new InstanceCache()
    source.update({ instances: ['a'] })
    const endpointer = newEndpointer(source, recordingFactory([]))
    source.update({ instances: [], err: new Error('sd down') })
    assert.equal(endpointer.endpoints().length, 1)
  })

  it('invalidateOnError keeps endpoints until the timeout, then closes them and throws; a good Event recovers', () => {
    const scheduler = new VirtualScheduler()
    const closed: string[] = []
    const source = new InstanceCache()
    source.update({ instances: ['a'] })
    const endpointer = newEndpointer(source, recordingFactory(closed), {
      invalidateOnError: 1000,
      scheduler,
    })
    const failure = new Error('sd down')
    source.update({ instances: ['a'], err: failure })
    scheduler.advance(999)
    assert.equal(endpointer.endpoints().length, 1)
    scheduler.advance(1)
    assert.throws(
      () => endpointer.endpoints(),
      (err) => err === failure,
    )
    assert.deepEqual(closed, ['a'])
    source.update({ instances: ['b'] })
    assert.equal(endpointer.endpoints().length, 1)
  })

  it('a listener deregisters on close', () => {
    const source = new InstanceCache()
    const built: string[] = []
    const endpointer = newEndpointer(source, recordingFactory([], built))
    endpointer.close()
    source.update({ instances: ['a'] })
    assert.deepEqual(built, [])
  })

  it('wrong types raise InvalidArgumentError', () => {
    assert.throws(() => newEndpointer({} as never, recordingFactory([])), InvalidArgumentError)
    assert.throws(() => newEndpointer(fixedInstancer([]), 'f' as never), InvalidArgumentError)
    assert.throws(
      () => newEndpointer(fixedInstancer([]), recordingFactory([]), { invalidateOnError: -1 }),
      InvalidArgumentError,
    )
  })
})

describe('gokit: lb', () => {
  const endpointer = (instances: string[]) =>
    newEndpointer(fixedInstancer(instances), recordingFactory([]))

  it('roundRobin cycles through the endpoints in order', async () => {
    const balancer = lb.roundRobin(endpointer(['a', 'b', 'c']))
    const picks: string[] = []
    for (let i = 0; i < 5; i++) picks.push(await balancer.endpoint()('x'))
    assert.deepEqual(picks, ['a:x', 'b:x', 'c:x', 'a:x', 'b:x'])
  })

  it('random is deterministic for a seed and covers every endpoint', async () => {
    const draw = async (seed: number) => {
      const balancer = lb.random(endpointer(['a', 'b', 'c']), seed)
      const picks: string[] = []
      for (let i = 0; i < 30; i++) picks.push(await balancer.endpoint()('x'))
      return picks
    }
    const first = await draw(42)
    assert.deepEqual(await draw(42), first)
    assert.notDeepEqual(await draw(7), first)
    assert.deepEqual(new Set(first), new Set(['a:x', 'b:x', 'c:x']))
  })

  it('balancers throw NoEndpointsError when there is no endpoint', () => {
    for (const balancer of [lb.roundRobin(endpointer([])), lb.random(endpointer([]), 1)]) {
      assert.throws(
        () => balancer.endpoint(),
        (err: unknown) => {
          assert.ok(err instanceof lb.NoEndpointsError)
          assert.equal(err.code, 'ERR_NO_ENDPOINTS')
          return true
        },
      )
    }
  })

  /** A balancer whose endpoint fails `failures` times, then answers. */
  function flaky(failures: number) {
    let calls = 0
    const endpoint: Endpoint<string, string> = async (request) => {
      calls++
      if (calls <= failures) throw new Error(`attempt ${calls} failed`)
      return `ok:${request}`
    }
    return { balancer: { endpoint: () => endpoint }, calls: () => calls }
  }

  it('retry returns the first success', async () => {
    const { balancer, calls } = flaky(2)
    const scheduler = new VirtualScheduler()
    assert.equal(await lb.retry(3, 1000, balancer, { scheduler })('r'), 'ok:r')
    assert.equal(calls(), 3)
  })

  it('retry gives up after max attempts with an error that keeps every attempt', async () => {
    const { balancer, calls } = flaky(10)
    const scheduler = new VirtualScheduler()
    await assert.rejects(lb.retry(3, 1000, balancer, { scheduler })('r'), (err: unknown) => {
      assert.ok(err instanceof lb.RetryError)
      assert.deepEqual(
        err.rawErrors.map((e) => e.message),
        ['attempt 1 failed', 'attempt 2 failed', 'attempt 3 failed'],
      )
      assert.equal(err.final.message, 'attempt 3 failed')
      assert.match(
        err.message,
        /attempt 3 failed \(previously: attempt 1 failed; attempt 2 failed\)/,
      )
      return true
    })
    assert.equal(calls(), 3)
  })

  it('retry stops at the timeout on the scheduler clock', async () => {
    const scheduler = new VirtualScheduler()
    const attempts: AbortSignal[] = []
    const hanging: Endpoint<string, string> = (_request, signal) => {
      if (signal) attempts.push(signal)
      return new Promise(() => undefined)
    }
    const pending = lb.retry(5, 500, { endpoint: () => hanging }, { scheduler })('r')
    await flush()
    scheduler.advance(500)
    // go-kit returns ctx.Err() itself, not a RetryError (lb/retry_test.go TestRetryTimeout).
    await assert.rejects(deadline(pending), lb.TimeoutError)
    assert.equal(attempts[0]?.aborted, true, 'the attempt was told to stop')
  })

  it('retry counts a balancer error as an attempt', async () => {
    const scheduler = new VirtualScheduler()
    const empty = lb.roundRobin(endpointer([]))
    await assert.rejects(lb.retry(2, 1000, empty, { scheduler })('r'), (err: unknown) => {
      assert.ok(err instanceof lb.RetryError)
      assert.equal(err.rawErrors.length, 2)
      assert.ok(err.final instanceof lb.NoEndpointsError)
      return true
    })
  })

  it('retryWithCallback lets the callback stop early and replace the final error', async () => {
    const { balancer, calls } = flaky(10)
    const replacement = new Error('gave up')
    const endpoint = lb.retryWithCallback(1000, balancer, (n) => [n < 2, replacement], {
      scheduler: new VirtualScheduler(),
    })
    await assert.rejects(endpoint('r'), (err: unknown) => {
      assert.ok(err instanceof lb.RetryError)
      assert.equal(err.final, replacement)
      assert.equal(err.rawErrors.length, 2)
      return true
    })
    assert.equal(calls(), 2)
  })

  it("retry ends when the caller's signal aborts", async () => {
    const controller = new AbortController()
    const hanging: Endpoint<string, string> = () => new Promise(() => undefined)
    const pending = lb.retry(
      5,
      10_000,
      { endpoint: () => hanging },
      { scheduler: new VirtualScheduler() },
    )('r', controller.signal)
    controller.abort(new Error('caller gone'))
    await assert.rejects(deadline(pending), /caller gone/)
  })

  it('wrong types raise InvalidArgumentError', () => {
    const b = lb.roundRobin(endpointer(['a']))
    assert.throws(() => lb.retry(0, 100, b), InvalidArgumentError)
    assert.throws(() => lb.retry(1, -5, b), InvalidArgumentError)
    assert.throws(() => lb.retry(1, 5, {} as never), InvalidArgumentError)
    assert.throws(() => lb.roundRobin({} as never), InvalidArgumentError)
    assert.throws(() => lb.random(endpointer(['a']), Number.NaN), InvalidArgumentError)
  })
})

describe('gokit: sd/etcd Client served by the mesh', () => {
  let cluster: Cluster
  beforeEach(async () => {
    cluster = await startCluster(2)
  })
  afterEach(() => cluster.stop())

  it('getEntries returns the values of every key under the prefix, recursively, in key order', async () => {
    const [a, b] = pair(cluster.nodes)
    const writer = etcd.newMeshClient(a)
    await writer.register({ key: '/services/orders/10.0.0.2:80', value: 'http://10.0.0.2:80' })
    await writer.register({ key: '/services/orders/10.0.0.1:80', value: 'http://10.0.0.1:80' })
    await writer.register({ key: '/services/orders/v2/10.0.0.3:80', value: 'http://10.0.0.3:80' })
    await writer.register({ key: '/services/users/10.0.0.4:80', value: 'http://10.0.0.4:80' })
    await cluster.settle()
    const reader = etcd.newMeshClient(b)
    assert.deepEqual(await reader.getEntries('/services/orders/'), [
      'http://10.0.0.1:80',
      'http://10.0.0.2:80',
      'http://10.0.0.3:80',
    ])
    assert.deepEqual(await reader.getEntries('/nothing/'), [])
  })

  it('keys map to (service, id) reversibly; other faces’ instances appear as "service/id"', async () => {
    const [a] = pair(cluster.nodes)
    const client = etcd.newMeshClient(a)
    await client.register({ key: '/services/orders/10.0.0.1:80', value: 'v' })
    assert.deepEqual(
      a.lookup('/services/orders').map((i) => [i.id, i.addresses]),
      [['10.0.0.1:80', ['v']]],
    )
    await a.register({ service: 'greeter', id: 'g1', addresses: ['10.0.0.7:1'] })
    assert.deepEqual(await client.getEntries('greeter/'), ['10.0.0.7:1'])
    await assert.rejects(client.register({ key: 'no-directory', value: 'v' }), InvalidArgumentError)
    await assert.rejects(client.register({ key: '/trailing/', value: 'v' }), InvalidArgumentError)
  })

  it('register and deregister reject empty keys and values with ErrNoKey / ErrNoValue', async () => {
    const client = etcd.newMeshClient(cluster.nodes[0] as DiscoveryNode)
    await assert.rejects(client.register({ key: '', value: 'v' }), etcd.NoKeyError)
    await assert.rejects(client.register({ key: '/a/b', value: '' }), etcd.NoValueError)
    await assert.rejects(client.deregister({ key: '', value: 'v' }), (err: unknown) => {
      assert.ok(err instanceof etcd.NoKeyError)
      assert.equal(err.code, 'ERR_NO_KEY')
      return true
    })
  })

  it('deregister withdraws the key everywhere', async () => {
    const [a, b] = pair(cluster.nodes)
    const service = { key: '/services/orders/x', value: 'v' }
    await etcd.newMeshClient(a).register(service)
    await cluster.settle()
    await etcd.newMeshClient(a).deregister(service)
    await cluster.settle()
    assert.deepEqual(await etcd.newMeshClient(b).getEntries('/services/'), [])
  })

  it('watchPrefix signals once at once, then on each change under the prefix only', async () => {
    const [a, b] = pair(cluster.nodes)
    const controller = new AbortController()
    const watch = etcd.newMeshClient(b).watchPrefix('/services/orders/', controller.signal)
    assert.equal((await deadline(watch.next())).done, false, 'initial sentinel')
    const next = watch.next()
    await etcd.newMeshClient(a).register({ key: '/services/users/u', value: 'v' })
    await cluster.settle()
    let signalled = false
    void next.then(() => {
      signalled = true
    })
    await flush()
    assert.equal(signalled, false, 'a change outside the prefix does not signal')
    await etcd.newMeshClient(a).register({ key: '/services/orders/o', value: 'v' })
    await cluster.settle()
    assert.equal((await deadline(next)).done, false)
    controller.abort()
    assert.equal((await deadline(watch.next())).done, true, 'the watch ends on abort')
  })

  it("watches end when the client's signal aborts (go-kit's NewClient context)", async () => {
    const controller = new AbortController()
    const client = etcd.newMeshClient(cluster.nodes[0] as DiscoveryNode, {
      signal: controller.signal,
    })
    const watch = client.watchPrefix('/x/')
    await watch.next()
    controller.abort()
    assert.equal((await deadline(watch.next())).done, true)
  })

  it('newTTLOption enforces a 500 ms heartbeat floor and a TTL above the heartbeat; the TTL reaches the instance', async () => {
    assert.deepEqual(etcd.newTTLOption(3000, 10_000), { heartbeat: 3000, ttl: 10_000 })
    assert.deepEqual(etcd.newTTLOption(100, 10_000), { heartbeat: 500, ttl: 10_000 })
    assert.deepEqual(etcd.newTTLOption(1000, 1000), { heartbeat: 1000, ttl: 3000 })
    assert.throws(() => etcd.newTTLOption(-1, 10), InvalidArgumentError)
    const [a, b] = pair(cluster.nodes)
    await etcd.newMeshClient(a).register({
      key: '/services/orders/x',
      value: 'v',
      ttl: etcd.newTTLOption(500, 4000),
    })
    await cluster.settle()
    assert.equal(b.lookup('/services/orders')[0]?.ttlMs, 4000)
  })

  it('newEtcdInstancer is returned when the first read fails; read errors publish Event.err without instances', async () => {
    const failing: etcd.EtcdClient = {
      getEntries: async () => {
        throw new Error('etcd unreachable')
      },
      watchPrefix: () => (async function* () {})(),
      register: async () => undefined,
      deregister: async () => undefined,
    }
    const unreachable = await etcd.newEtcdInstancer(failing, '/x/')
    const first: Event[] = []
    unreachable.register((e) => first.push(e))
    assert.equal(first[0]?.err?.message, 'etcd unreachable')
    assert.deepEqual(first[0]?.instances, [])
    unreachable.stop()

    let fail = false
    const signals: Array<() => void> = []
    const flakyClient: etcd.EtcdClient = {
      ...failing,
      getEntries: async () => {
        if (fail) throw new Error('read failed')
        return ['a']
      },
      watchPrefix: () =>
        (async function* () {
          for (;;) yield await new Promise<void>((resolve) => signals.push(resolve))
        })(),
    }
    const instancer = await etcd.newEtcdInstancer(flakyClient, '/x/')
    const events: Event[] = []
    instancer.register((e) => events.push(e))
    await flush()
    fail = true
    signals.shift()?.()
    await flush()
    assert.equal(events.at(-1)?.err?.message, 'read failed')
    assert.deepEqual(events.at(-1)?.instances, [])
    instancer.stop()
  })

  it('a watch that breaks is published as Event.err, never as an unhandled rejection', async () => {
    const broken: etcd.EtcdClient = {
      getEntries: async () => ['a'],
      watchPrefix: () =>
        (async function* () {
          yield undefined
          throw new Error('watch stream reset')
        })(),
      register: async () => undefined,
      deregister: async () => undefined,
    }
    const instancer = await etcd.newEtcdInstancer(broken, '/x/')
    const events: Event[] = []
    instancer.register((e) => events.push(e))
    await flush()
    assert.equal(events.at(-1)?.err?.message, 'watch stream reset')
    instancer.stop()
  })

  it('wrong types raise InvalidArgumentError', async () => {
    assert.throws(() => etcd.newMeshClient({} as DiscoveryNode), InvalidArgumentError)
    const client = etcd.newMeshClient(cluster.nodes[0] as DiscoveryNode)
    await assert.rejects(client.getEntries(3 as unknown as string), InvalidArgumentError)
    await assert.rejects(client.register({ key: 5, value: 'v' } as never), InvalidArgumentError)
    await assert.rejects(etcd.newEtcdInstancer({} as never, '/x/'), InvalidArgumentError)
    assert.throws(() => etcd.newEtcdRegistrar(client, null as never), InvalidArgumentError)
  })
})

describe('gokit: dnssrv Instancer', () => {
  it('resolves at once, then every ttl on the scheduler; "target:port" instances; errors as Event.err; stop ends polling', async () => {
    const scheduler = new VirtualScheduler()
    const answers: Array<Array<{ name: string; port: number }> | Error> = [
      [
        { name: 'b.example', port: 80 },
        { name: 'a.example', port: 80 },
      ],
      [{ name: 'fe80::1', port: 81 }],
      new Error('SERVFAIL'),
    ]
    const asked: string[] = []
    const instancer = await newDnsSrvInstancer('_http._tcp.example', 1000, {
      scheduler,
      lookup: async (name) => {
        asked.push(name)
        const answer = answers.shift() ?? []
        if (answer instanceof Error) throw answer
        return answer
      },
    })
    const events: Event[] = []
    instancer.register((e) => events.push(e))
    const last = (): Event | undefined => events.at(-1)
    assert.deepEqual(events, [{ instances: ['a.example:80', 'b.example:80'] }])
    scheduler.advance(999)
    await flush()
    assert.equal(asked.length, 1)
    scheduler.advance(1)
    await flush()
    assert.deepEqual(last(), { instances: ['[fe80::1]:81'] })
    scheduler.advance(1000)
    await flush()
    assert.equal(last()?.err?.message, 'SERVFAIL')
    instancer.stop()
    scheduler.advance(5000)
    await flush()
    assert.deepEqual(asked, ['_http._tcp.example', '_http._tcp.example', '_http._tcp.example'])
  })

  it('wrong types raise InvalidArgumentError', async () => {
    const lookup = async () => []
    await assert.rejects(newDnsSrvInstancer('', 1000, { lookup }), InvalidArgumentError)
    await assert.rejects(newDnsSrvInstancer('x', 0, { lookup }), InvalidArgumentError)
    await assert.rejects(
      newDnsSrvInstancer('x', 10, { lookup: 'no' as never }),
      InvalidArgumentError,
    )
  })
})

describe('gokit: example', () => {
  it('examples/gokit.ts balances over the discovered instances and closes the endpoint of one that leaves', async () => {
    assert.deepEqual(await main(), {
      instances: ['10.0.0.1:8080', '10.0.0.2:8080'],
      responses: [
        '10.0.0.1:8080 says hello',
        '10.0.0.2:8080 says hello',
        '10.0.0.2:8080 says hello',
      ],
      closed: ['10.0.0.1:8080'],
    })
  })
})
