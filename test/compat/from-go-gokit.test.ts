/**
 * go-kit `sd` behaviours a ported program relies on, each written from go-kit's own tests or
 * source (cited per test, paraphrased), not from this implementation.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  type Closer,
  type Endpoint,
  type Event,
  etcd,
  fixedEndpointer,
  fixedInstancer,
  InstanceCache,
  lb,
  newDnsSrvInstancer,
  newEndpointer,
  PortZeroError,
} from '../../src/compat/gokit/index.ts'
import { VirtualScheduler } from '../../src/mesh/scheduler.ts'
import { deadline, flush } from './helpers.ts'

const ok: Endpoint<unknown, unknown> = async () => 'ok'
const failing =
  (message: string): Endpoint<unknown, unknown> =>
  async () => {
    throw new Error(message)
  }

describe('from go-kit: sd/internal/instance Cache', () => {
  // cache_test.go TestCache: registering sends the current state at once, instances sorted; a
  // different update notifies; an identical one does not; nothing after deregistering.
  it('sends the current state on register, sorted; only real changes; nothing after deregister', () => {
    const cache = new InstanceCache()
    cache.update({ instances: ['y', 'x'] })
    const seen: Event[] = []
    const listener = (e: Event): void => void seen.push(e)
    cache.register(listener)
    cache.update({ instances: ['c', 'a', 'b'] })
    cache.update({ instances: ['b', 'c', 'a'] })
    cache.deregister(listener)
    cache.update({ instances: ['z'] })
    assert.deepEqual(
      seen.map((e) => e.instances),
      [
        ['x', 'y'],
        ['a', 'b', 'c'],
      ],
    )
  })

  // sd/instancer.go FixedInstancer: Register sends the fixed set once.
  it('FixedInstancer sends its instances on register', () => {
    const seen: Event[] = []
    fixedInstancer(['a:1', 'b:2']).register((e) => void seen.push(e))
    assert.deepEqual(seen, [{ instances: ['a:1', 'b:2'] }])
  })
})

describe('from go-kit: Endpointer', () => {
  const closers = () => {
    const closed: string[] = []
    const factory = (instance: string): readonly [Endpoint, Closer] => [
      ok,
      { close: () => void closed.push(instance) },
    ]
    return { closed, factory }
  }

  // endpoint_cache_test.go TestEndpointCache: a duplicate update closes nothing; an error keeps
  // the old endpoints; removing an instance closes its closer.
  it('keeps endpoints on a duplicate or an error Event, closes what leaves', () => {
    const { closed, factory } = closers()
    const cache = new InstanceCache()
    const endpointer = newEndpointer(cache, factory)
    cache.update({ instances: ['a', 'b'] })
    cache.update({ instances: ['a', 'b'] })
    cache.update({ instances: [], err: new Error('sd error') })
    assert.equal(endpointer.endpoints().length, 2)
    assert.deepEqual(closed, [])
    cache.update({ instances: ['a'] })
    assert.deepEqual(closed, ['b'])
    cache.update({ instances: [] })
    assert.deepEqual(closed, ['b', 'a'])
    assert.equal(endpointer.endpoints().length, 0)
  })

  // endpoint_cache_test.go TestEndpointCacheErrorAndTimeout: with InvalidateOnError(t), the
  // endpoints survive until t after the error, then are closed and Endpoints() returns the
  // error; a good Event brings them back.
  it('invalidateOnError: usable until the timeout, then closed and the error; recovers', () => {
    const { closed, factory } = closers()
    const scheduler = new VirtualScheduler()
    const cache = new InstanceCache()
    const endpointer = newEndpointer(cache, factory, { invalidateOnError: 100, scheduler })
    cache.update({ instances: ['a'] })
    cache.update({ instances: [], err: new Error('sd error') })
    scheduler.advance(50)
    assert.equal(endpointer.endpoints().length, 1)
    scheduler.advance(50)
    assert.throws(() => endpointer.endpoints(), /sd error/)
    assert.deepEqual(closed, ['a'])
    cache.update({ instances: ['a'] })
    assert.equal(endpointer.endpoints().length, 1)
  })

  // endpointer.go FixedEndpointer: Endpoints() returns the fixed slice and no error.
  it('FixedEndpointer yields its endpoints', () => {
    assert.deepEqual(fixedEndpointer([ok]).endpoints(), [ok])
  })
})

describe('from go-kit: lb', () => {
  const scheduler = () => ({ scheduler: new VirtualScheduler() })

  // round_robin.go / random.go: no endpoints is ErrNoEndpoints; round robin cycles in order.
  it('no endpoints is NoEndpointsError; round robin cycles in order', () => {
    assert.throws(() => lb.roundRobin(fixedEndpointer([])).endpoint(), lb.NoEndpointsError)
    assert.throws(() => lb.random(fixedEndpointer([]), 1).endpoint(), lb.NoEndpointsError)
    const a = failing('a')
    const b = failing('b')
    const rr = lb.roundRobin(fixedEndpointer([a, b]))
    assert.deepEqual([rr.endpoint(), rr.endpoint(), rr.endpoint()], [a, b, a])
  })

  // retry_test.go TestRetryMaxTotalFail: no endpoints and 999 retries fails (with an error).
  it('Retry fails when every attempt fails', async () => {
    const retry = lb.retry(999, 1000, lb.roundRobin(fixedEndpointer([])), scheduler())
    await assert.rejects(deadline(retry({})), lb.RetryError)
  })

  // retry_test.go TestRetryMaxPartialFail / TestRetryMaxSuccess: two failing endpoints and one
  // good one, round robin: two attempts fail, three succeed.
  it('Retry succeeds only when max reaches the working endpoint', async () => {
    const endpoints = [failing('error one'), failing('error two'), ok]
    const short = lb.retry(2, 1000, lb.roundRobin(fixedEndpointer(endpoints)), scheduler())
    await assert.rejects(short({}), /error two \(previously: error one\)/)
    const enough = lb.retry(3, 1000, lb.roundRobin(fixedEndpointer(endpoints)), scheduler())
    assert.equal(await enough({}), 'ok')
  })

  // retry_test.go TestRetryTimeout: a call that outlasts the timeout returns the context's
  // error itself (context.DeadlineExceeded), not a RetryError.
  it('Retry past its timeout rejects with the timeout itself', async () => {
    const clock = new VirtualScheduler()
    const hanging: Endpoint<unknown, unknown> = () => new Promise(() => undefined)
    const pending = lb.retry(999, 1, lb.roundRobin(fixedEndpointer([hanging])), {
      scheduler: clock,
    })({})
    await flush()
    clock.advance(1)
    await assert.rejects(deadline(pending), (err: unknown) => {
      assert.ok(err instanceof lb.TimeoutError)
      assert.ok(!(err instanceof lb.RetryError))
      return true
    })
  })

  // retry_test.go TestAbortEarlyCustomMessage / TestErrorPassedUnchangedToCallback: the
  // callback sees the endpoint's error unchanged, and its replacement becomes Final.
  it('RetryWithCallback: the callback sees the raw error; its replacement is final', async () => {
    const mine = new Error('my custom error')
    const replacement = new Error('aborting early')
    const received: Error[] = []
    const endpoint = lb.retryWithCallback(
      1000,
      lb.roundRobin(
        fixedEndpointer([
          async () => {
            throw mine
          },
        ]),
      ),
      (_n, err) => {
        received.push(err)
        return [false, replacement]
      },
      scheduler(),
    )
    await assert.rejects(endpoint({}), (err: unknown) => {
      assert.ok(err instanceof lb.RetryError)
      assert.equal(err.final, replacement)
      return true
    })
    assert.deepEqual(received, [mine])
  })

  // retry_test.go TestHandleNilCallback: a nil callback retries (and here, succeeds).
  it('RetryWithCallback without a callback keeps trying', async () => {
    const endpoint = lb.retryWithCallback(1000, lb.roundRobin(fixedEndpointer([ok])), undefined)
    assert.equal(await endpoint({}), 'ok')
  })
})

describe('from go-kit: sd/etcd', () => {
  const client = (getEntries: etcd.EtcdClient['getEntries']): etcd.EtcdClient => ({
    getEntries,
    watchPrefix: () => (async function* () {})(),
    register: async () => undefined,
    deregister: async () => undefined,
  })

  // etcd/instancer_test.go TestInstancer: a readable prefix gives a state without error.
  it('NewInstancer over a readable prefix has no error', async () => {
    const instancer = await etcd.newEtcdInstancer(
      client(async () => ['1:1', '1:2']),
      '/foo',
    )
    const seen: Event[] = []
    instancer.register((e) => void seen.push(e))
    assert.deepEqual(seen, [{ instances: ['1:1', '1:2'] }])
    instancer.stop()
  })

  // etcd/instancer.go NewInstancer: a failed first read is logged and published as the
  // Event's Err; the Instancer is still returned with a nil error.
  it('NewInstancer whose first read fails is returned; its Event carries the error', async () => {
    const instancer = await etcd.newEtcdInstancer(
      client(async () => {
        throw new Error('key not exist')
      }),
      '/foo',
    )
    const seen: Event[] = []
    instancer.register((e) => void seen.push(e))
    assert.equal(seen[0]?.err?.message, 'key not exist')
    assert.deepEqual(seen[0]?.instances, [])
    instancer.stop()
  })

  // etcd/client.go Register/Deregister: an empty key is ErrNoKey, an empty value ErrNoValue.
  // registrar.go NewTTLOption: heartbeat at least 500 ms; a ttl not above it becomes 3 heartbeats.
  it('ErrNoKey, ErrNoValue, and NewTTLOption’s floors', async () => {
    const { newMeshClient } = etcd
    const { startCluster } = await import('./helpers.ts')
    const cluster = await startCluster(1)
    const mesh = newMeshClient(cluster.nodes[0] as never)
    await assert.rejects(mesh.register({ key: '', value: 'v' }), etcd.NoKeyError)
    await assert.rejects(mesh.register({ key: '/a/b', value: '' }), etcd.NoValueError)
    await assert.rejects(mesh.deregister({ key: '', value: '' }), etcd.NoKeyError)
    await cluster.stop()
    assert.deepEqual(etcd.newTTLOption(100, 200), { heartbeat: 500, ttl: 1500 })
    assert.deepEqual(etcd.newTTLOption(3000, 10_000), { heartbeat: 3000, ttl: 10_000 })
  })
})

describe('from go-kit: sd/dnssrv', () => {
  // dnssrv/instancer.go: instances are net.JoinHostPort(target, port); a record with port 0 is
  // ErrPortZero; a failed refresh publishes the error with no instances.
  it('target:port instances; port 0 and failed lookups publish the error without instances', async () => {
    const scheduler = new VirtualScheduler()
    const answers: Array<readonly { name: string; port: number }[] | Error> = [
      [{ name: 'a.example', port: 80 }],
      [{ name: 'b.example', port: 0 }],
      new Error('SERVFAIL'),
    ]
    const lookup = async () => {
      const answer = answers.shift() ?? []
      if (answer instanceof Error) throw answer
      return answer
    }
    const instancer = await newDnsSrvInstancer('_x._tcp.example', 1000, { lookup, scheduler })
    const seen: Event[] = []
    instancer.register((e) => void seen.push(e))
    for (let i = 0; i < 2; i++) {
      scheduler.advance(1000)
      await flush()
    }
    assert.deepEqual(seen[0], { instances: ['a.example:80'] })
    assert.ok(seen[1]?.err instanceof PortZeroError)
    assert.deepEqual(seen[1]?.instances, [])
    assert.equal(seen[2]?.err?.message, 'SERVFAIL')
    assert.deepEqual(seen[2]?.instances, [])
    instancer.stop()
  })
})
