import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { main } from '../../examples/discoverd.ts'
import {
  balancer,
  type Client,
  DEFAULT_TIMEOUT,
  expandAddr,
  newClient,
  type Service,
  TimeoutError,
  UnknownRegistrationError,
} from '../../src/compat/discoverd/index.ts'
import type { DiscoveryNode } from '../../src/contract.ts'
import { InvalidArgumentError } from '../../src/membership/errors.ts'
import { type Cluster, deadline, flush, startCluster } from './helpers.ts'

/** Reads `count` items from a stream, each within a deadline. */
async function take<T>(stream: AsyncIterableIterator<T>, count: number): Promise<T[]> {
  const out: T[] = []
  for (let i = 0; i < count; i++) {
    const { value, done } = await deadline(stream.next())
    assert.equal(done, false, `stream ended after ${i} items`)
    out.push(value as T)
  }
  return out
}

const addrOf = (s: Service | null) => s?.addr ?? null

describe('discoverd: Client', () => {
  let cluster: Cluster
  let a: Client
  let b: Client
  let c: Client
  beforeEach(async () => {
    cluster = await startCluster(3)
    ;[a, b, c] = cluster.nodes.map((n) => newClient(n)) as [Client, Client, Client]
  })
  afterEach(() => cluster.stop())

  it('DefaultTimeout is one second', () => {
    assert.equal(DEFAULT_TIMEOUT, 1000)
  })

  it('register announces a named address that other nodes discover', async () => {
    await a.register('web', '10.1.1.1:80')
    await cluster.settle()
    const [service] = await b.services('web', 100)
    assert.deepEqual(
      { ...service, created: 0 },
      {
        created: 0,
        name: 'web',
        host: '10.1.1.1',
        port: '80',
        addr: '10.1.1.1:80',
        attrs: {},
      },
    )
  })

  it('a port-only address expands to the registering node’s advertised host', async () => {
    await b.register('web', ':9099')
    await cluster.settle()
    assert.deepEqual(
      (await a.services('web', 100)).map((s) => [s.host, s.port]),
      [['10.0.0.2', '9099']],
    )
    assert.equal(expandAddr(':80', 'fe80::1'), '[fe80::1]:80')
    assert.equal(expandAddr('h:80', 'other'), 'h:80')
  })

  it('registerWithAttributes sets attributes (nil allowed); registering again replaces them and keeps the age', async () => {
    await a.registerWithAttributes('db', ':5432', null)
    await cluster.settle()
    const [first] = await b.services('db', 100)
    assert.deepEqual(first?.attrs, {})
    await a.registerWithAttributes('db', ':5432', { role: 'primary' })
    await cluster.settle()
    const [second] = await b.services('db', 100)
    assert.deepEqual(second?.attrs, { role: 'primary' })
    assert.equal(second?.created, first?.created)
  })

  it('services waits until at least one service is present', async () => {
    const pending = b.services('late', 5000)
    let settled = false
    void pending.then(() => {
      settled = true
    })
    await cluster.settle(200)
    assert.equal(settled, false)
    await a.register('late', ':1')
    await cluster.settle()
    assert.deepEqual(
      (await deadline(pending)).map((s) => s.addr),
      ['10.0.0.1:1'],
    )
  })

  it('services rejects with TimeoutError once the timeout passes on the node clock', async () => {
    const pending = b.services('never', 300)
    await cluster.settle(290)
    let settled = false
    pending.catch(() => {
      settled = true
    })
    await flush()
    assert.equal(settled, false)
    await cluster.settle(20)
    await assert.rejects(deadline(pending), (err: unknown) => {
      assert.ok(err instanceof TimeoutError)
      assert.equal(err.code, 'ERR_TIMEOUT')
      return true
    })
  })

  it('services are sorted by age, oldest first', async () => {
    await c.register('web', ':80')
    await cluster.settle()
    await a.register('web', ':80')
    await cluster.settle()
    await b.register('web', ':80')
    await cluster.settle()
    assert.deepEqual(
      (await a.services('web')).map((s) => s.addr),
      ['10.0.0.3:80', '10.0.0.1:80', '10.0.0.2:80'],
    )
  })

  it('unregister withdraws the registration everywhere at once (no TTL wait)', async () => {
    await a.register('web', ':80')
    await cluster.settle()
    await a.unregister('web', ':80')
    await cluster.settle(20)
    assert.deepEqual(b.newServiceSet('web').services(), [])
  })

  it('unregister of an unknown registration rejects with UnknownRegistrationError', async () => {
    await assert.rejects(a.unregister('web', ':80'), (err: unknown) => {
      assert.ok(err instanceof UnknownRegistrationError)
      assert.equal(err.code, 'ERR_UNKNOWN_REGISTRATION')
      return true
    })
    await b.register('web', ':80')
    await assert.rejects(a.unregister('web', '10.0.0.2:80'), UnknownRegistrationError)
  })

  it('unregisterAll withdraws every registration of the client', async () => {
    await a.register('web', ':80')
    await a.register('db', ':5432')
    await c.register('web', ':81')
    await cluster.settle()
    await a.unregisterAll()
    await cluster.settle()
    assert.deepEqual(b.newServiceSet('web').addrs(), ['10.0.0.3:81'])
    assert.deepEqual(b.newServiceSet('db').addrs(), [])
  })

  it('registerAndStandby fires at once for the oldest registration', async () => {
    const standby = await a.registerAndStandby('sampi', ':9099', null)
    assert.equal((await deadline(standby.elected)).addr, '10.0.0.1:9099')
  })

  it('registerAndStandby fires when the registration becomes leader', async () => {
    await a.register('sampi', ':9099')
    await cluster.settle()
    const standby = await b.registerAndStandby('sampi', ':9099', { zone: 'b' })
    let elected: Service | undefined
    void standby.elected.then((s) => {
      elected = s
    })
    const current = (): Service | undefined => elected
    await cluster.settle()
    assert.equal(current(), undefined, 'a standby while the older instance lives')
    await a.unregister('sampi', ':9099')
    await cluster.settle()
    assert.deepEqual([current()?.addr, current()?.attrs], ['10.0.0.2:9099', { zone: 'b' }])
  })

  it('a standby ends with UnknownRegistrationError when unregistered, or with the signal', async () => {
    await a.register('sampi', ':1')
    await cluster.settle()
    const standby = await b.registerAndStandby('sampi', ':1')
    await b.unregister('sampi', ':1')
    await assert.rejects(deadline(standby.elected), UnknownRegistrationError)
    const controller = new AbortController()
    const aborted = await c.registerAndStandby('sampi', ':1', null, { signal: controller.signal })
    controller.abort(new Error('shutting down'))
    await assert.rejects(deadline(aborted.elected), /shutting down/)
  })

  it('registerWithSet leaves the registration out of services/addrs but not out of leader', async () => {
    const set = await a.registerWithSet('cluster', ':9099', null)
    await cluster.settle()
    await b.register('cluster', ':9099')
    await cluster.settle()
    assert.equal(set.selfAddr(), '10.0.0.1:9099')
    assert.deepEqual(set.addrs(), ['10.0.0.2:9099'])
    assert.deepEqual(
      set.services().map((s) => s.addr),
      ['10.0.0.2:9099'],
    )
    assert.equal(set.leader()?.addr, set.selfAddr(), 'the oldest is this instance')
  })

  it('close stops heartbeats: registrations stay until their TTL runs out; the client’s sets close at once', async () => {
    // discoverd's Client.Close closes the heartbeat goroutines and the RPC connection; the
    // agent drops each registration when its heartbeat TTL lapses, not at once.
    await a.register('web', ':80')
    await cluster.settle()
    const set = a.newServiceSet('web')
    const updates = set.watch(false)
    const ttl = cluster.nodes[0]?.lookup('web')[0]?.ttlMs as number
    await a.close()
    assert.equal((await deadline(updates.next())).done, true)
    await cluster.settle(ttl / 2)
    assert.equal(b.newServiceSet('web').addrs().length, 1, 'still there before the TTL')
    await cluster.settle(ttl)
    assert.deepEqual(b.newServiceSet('web').addrs(), [])
  })

  it('wrong types raise InvalidArgumentError', async () => {
    assert.throws(() => newClient({} as DiscoveryNode), InvalidArgumentError)
    await assert.rejects(a.register('', ':1'), InvalidArgumentError)
    await assert.rejects(a.register('web', 9 as unknown as string), InvalidArgumentError)
    await assert.rejects(
      a.registerWithAttributes('web', ':1', { n: 1 } as unknown as Record<string, string>),
      InvalidArgumentError,
    )
    await assert.rejects(a.services('web', -1), InvalidArgumentError)
    assert.throws(() => a.newServiceSet(null as unknown as string), InvalidArgumentError)
    assert.throws(() => a.newServiceSet('web').select('x' as never), InvalidArgumentError)
  })
})

describe('discoverd: ServiceSet', () => {
  let cluster: Cluster
  let clients: Client[]
  beforeEach(async () => {
    cluster = await startCluster(3)
    clients = cluster.nodes.map((n) => newClient(n))
  })
  afterEach(() => cluster.stop())
  const client = (i: number) => clients[i] as Client

  /** Registers web on nodes 0, 1, 2 in that order (so by age), with attributes. */
  async function threeMembers(): Promise<void> {
    await client(0).registerWithAttributes('web', ':80', { zone: 'a', tier: 'gold' })
    await cluster.settle()
    await client(1).registerWithAttributes('web', ':80', { zone: 'b', tier: 'gold' })
    await cluster.settle()
    await client(2).registerWithAttributes('web', ':80', { zone: 'a', tier: 'silver' })
    await cluster.settle()
  }

  it('leader is the oldest member, and every node agrees; null when empty', async () => {
    const empty = client(0).newServiceSet('web')
    assert.equal(empty.leader(), null)
    await threeMembers()
    const leaders = clients.map((cl) => cl.newServiceSet('web').leader()?.addr)
    assert.deepEqual(leaders, ['10.0.0.1:80', '10.0.0.1:80', '10.0.0.1:80'])
  })

  it('leaders yields the current leader first, then each change, and null when the set empties', async () => {
    await threeMembers()
    const set = client(2).newServiceSet('web')
    const leaders = set.leaders()
    assert.deepEqual((await take(leaders, 1)).map(addrOf), ['10.0.0.1:80'])
    await client(0).unregister('web', ':80')
    await cluster.settle()
    await client(2).registerWithAttributes('web', ':80', { zone: 'c' }) // not a leader change
    await cluster.settle()
    await client(1).unregister('web', ':80')
    await cluster.settle()
    await client(2).unregister('web', ':80')
    await cluster.settle()
    assert.deepEqual((await take(leaders, 3)).map(addrOf), ['10.0.0.2:80', '10.0.0.3:80', null])
    set.close()
    assert.equal((await deadline(leaders.next())).done, true)
  })

  it('a leader that crashes (TTL expiry) is replaced', async () => {
    await threeMembers()
    const set = client(1).newServiceSet('web')
    const leaders = set.leaders()
    await take(leaders, 1)
    const [n0, n1, n2] = [cluster.nodes[0]!, cluster.nodes[1]!, cluster.nodes[2]!]
    cluster.network.partition([n0.peerId], [n1.peerId, n2.peerId])
    await cluster.settle(2000)
    assert.deepEqual((await take(leaders, 1)).map(addrOf), ['10.0.0.2:80'])
    set.close()
  })

  it('services are sorted by age and addrs follow that order', async () => {
    await client(2).register('web', ':80')
    await cluster.settle()
    await client(0).register('web', ':80')
    await cluster.settle()
    const set = client(1).newServiceSet('web')
    assert.deepEqual(set.addrs(), ['10.0.0.3:80', '10.0.0.1:80'])
    assert.deepEqual(
      set.services().map((s) => s.addr),
      set.addrs(),
    )
    assert.ok((set.services()[0]?.created ?? 0) < (set.services()[1]?.created ?? 0))
  })

  it('select returns the members whose attributes match', async () => {
    await threeMembers()
    const set = client(0).newServiceSet('web')
    assert.deepEqual(
      set
        .select({ zone: 'a' })
        .map((s) => s.addr)
        .sort(),
      ['10.0.0.1:80', '10.0.0.3:80'],
    )
    assert.deepEqual(
      set.select({ zone: 'a', tier: 'silver' }).map((s) => s.addr),
      ['10.0.0.3:80'],
    )
    assert.equal(set.select({}).length, 3)
    assert.equal(set.addrs().length, 3, 'select does not change the set')
  })

  it('filter removes non-matching members at once and keeps future ones out; leader follows the filter', async () => {
    await threeMembers()
    const set = client(0).newServiceSet('web')
    const updates = set.watch(false)
    set.filter({ tier: 'gold' })
    assert.deepEqual(set.addrs(), ['10.0.0.1:80', '10.0.0.2:80'])
    const [removed] = await take(updates, 1)
    assert.deepEqual(
      { ...removed, created: 0 },
      {
        name: 'web',
        addr: '10.0.0.3:80',
        online: false,
        attrs: { zone: 'a', tier: 'silver' },
        created: 0,
      },
    )
    set.filter({ zone: 'b' })
    assert.equal(set.leader()?.addr, '10.0.0.2:80')
    await client(2).registerWithAttributes('web', ':81', { zone: 'a' })
    await cluster.settle()
    assert.deepEqual(set.addrs(), ['10.0.0.2:80'])
  })

  it('watch(true) brings the current members first; watch(false) only what follows', async () => {
    await client(0).register('web', ':80')
    await cluster.settle()
    const set = client(1).newServiceSet('web')
    const current = set.watch(true)
    const future = set.watch(false)
    await client(2).registerWithAttributes('web', ':80', { zone: 'c' })
    await cluster.settle()
    await client(0).unregister('web', ':80')
    await cluster.settle()
    assert.deepEqual(
      (await take(current, 3)).map((u) => [u.addr, u.online]),
      [
        ['10.0.0.1:80', true],
        ['10.0.0.3:80', true],
        ['10.0.0.1:80', false],
      ],
    )
    assert.deepEqual(
      (await take(future, 2)).map((u) => [u.addr, u.online, u.attrs]),
      [
        ['10.0.0.3:80', true, { zone: 'c' }],
        ['10.0.0.1:80', false, {}],
      ],
    )
  })

  it('watch reports attribute changes of a member as an online update', async () => {
    await client(0).registerWithAttributes('web', ':80', { v: '1' })
    await cluster.settle()
    const updates = client(1).newServiceSet('web').watch(false)
    await client(0).registerWithAttributes('web', ':80', { v: '2' })
    await cluster.settle()
    assert.deepEqual(
      (await take(updates, 1)).map((u) => [u.online, u.attrs]),
      [[true, { v: '2' }]],
    )
  })

  it('unwatch ends one stream and leaves the others', async () => {
    const set = client(1).newServiceSet('web')
    const gone = set.watch(false)
    const kept = set.watch(false)
    set.unwatch(gone)
    await client(0).register('web', ':80')
    await cluster.settle()
    assert.equal((await deadline(gone.next())).done, true)
    assert.equal((await take(kept, 1))[0]?.online, true)
  })

  it('close stops updates and ends every stream', async () => {
    await client(0).register('web', ':80')
    await cluster.settle()
    const set = client(1).newServiceSet('web')
    const updates = set.watch(false)
    const leaders = set.leaders()
    set.close()
    set.close()
    await client(2).register('web', ':80')
    await cluster.settle()
    assert.deepEqual(set.addrs(), ['10.0.0.1:80'], 'no longer updated')
    assert.equal((await deadline(updates.next())).done, true)
    assert.equal((await take(leaders, 1))[0]?.addr, '10.0.0.1:80')
    assert.equal((await deadline(leaders.next())).done, true)
  })

  it('a set from registerWithSet leaves its own registration out of watch(true)’s current members, not out of later updates', async () => {
    // discoverd's bind forwards updates of selfAddr to the set's watches, though Services()
    // (and so bringCurrent) excludes it.
    const other = client(1)
    await other.register('cluster', ':9099')
    await cluster.settle()
    const set = await client(0).registerWithSet('cluster', ':9099', null)
    const updates = set.watch(true)
    await client(0).registerWithAttributes('cluster', ':9099', { role: 'x' })
    await cluster.settle()
    const seen = await take(updates, 2)
    assert.deepEqual(
      seen.map((u) => [u.addr, u.online, u.attrs.role]),
      [
        ['10.0.0.2:9099', true, undefined],
        ['10.0.0.1:9099', true, 'x'],
      ],
    )
  })
})

describe('discoverd: balancer', () => {
  it('roundRobin hands out members in age order; random is seeded; an empty set throws NoServicesError', async () => {
    const cluster = await startCluster(3)
    const clients = cluster.nodes.map((n) => newClient(n))
    const set = (clients[0] as Client).newServiceSet('web')
    const empty = (clients[0] as Client).newServiceSet('none')
    for (const client of clients) {
      await client.register('web', ':80')
      await cluster.settle()
    }
    const rr = balancer.roundRobin(set)
    assert.deepEqual(
      [rr.next(), rr.next(), rr.next(), rr.next()].map((s) => s.addr),
      ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.1:80'],
    )
    const draw = (seed: number) => {
      const b = balancer.random(set, seed)
      return Array.from({ length: 20 }, () => b.next().addr)
    }
    assert.deepEqual(draw(3), draw(3))
    assert.equal(new Set(draw(3)).size, 3)
    for (const b of [balancer.roundRobin(empty), balancer.random(empty, 1)]) {
      assert.throws(
        () => b.next(),
        (err: unknown) => {
          assert.ok(err instanceof balancer.NoServicesError)
          assert.equal(err.code, 'ERR_NO_SERVICES')
          return true
        },
      )
    }
    assert.throws(() => balancer.roundRobin({} as never), InvalidArgumentError)
    assert.throws(() => balancer.random(set, Number.NaN), InvalidArgumentError)
    await cluster.stop()
  })
})

describe('discoverd: example', () => {
  it('examples/discoverd.ts fails over to the next oldest member', async () => {
    assert.deepEqual(await main(), {
      members: ['10.0.0.1:9099', '10.0.0.2:9099', '10.0.0.3:9099'],
      roles: {
        '10.0.0.1:9099': ['upgrade', 'downgrade'],
        '10.0.0.2:9099': ['upgrade'],
        '10.0.0.3:9099': [],
      },
      afterFailover: '10.0.0.2:9099',
    })
  })
})
