/**
 * flynn discoverd client behaviours a ported program relies on, each written from the 2014 Go
 * client's source, examples or doc comments (cited per test, paraphrased), not from this
 * implementation.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import {
  type Client,
  newClient,
  type Service,
  TimeoutError,
  UnknownRegistrationError,
} from '../../src/compat/discoverd/index.ts'
import { type Cluster, deadline, startCluster } from './helpers.ts'

describe('from discoverd: client', () => {
  let cluster: Cluster
  let clients: Client[]
  const client = (i: number) => clients[i] as Client
  beforeEach(async () => {
    cluster = await startCluster(3)
    clients = cluster.nodes.map((n) => newClient(n))
  })
  afterEach(() => cluster.stop())

  // client.go Services: it blocks until a service shows up or fails once the timeout passes
  // ("discover: timeout exceeded").
  it('Services waits for a first member, or fails after the timeout', async () => {
    const none = assert.rejects(client(0).services('db', 500), TimeoutError)
    await cluster.settle(600)
    await deadline(none)
    const waiting = client(0).services('db', 5000)
    await client(1).register('db', '10.0.0.9:5432')
    await cluster.settle()
    assert.deepEqual(
      (await deadline(waiting)).map((s) => s.addr),
      ['10.0.0.9:5432'],
    )
  })

  // client.go Unregister: no heartbeat for that address is ErrUnknownRegistration.
  it('Unregister of an address never registered is ErrUnknownRegistration', async () => {
    await assert.rejects(client(0).unregister('db', '10.0.0.1:1'), UnknownRegistrationError)
  })

  // client.go RegisterWithSet and serviceSet.Leader: the set leaves out its own registration
  // from Services, but Leader compares it with the oldest other member and returns it when it
  // is older; SelfAddr is the registered address.
  it('RegisterWithSet: Services without self, Leader may be self, SelfAddr', async () => {
    const set = await client(0).registerWithSet('cluster', '10.0.0.1:9099', null)
    await cluster.settle()
    await client(1).register('cluster', '10.0.0.2:9099')
    await cluster.settle()
    assert.equal(set.selfAddr(), '10.0.0.1:9099')
    assert.deepEqual(set.addrs(), ['10.0.0.2:9099'])
    assert.equal(set.leader()?.addr, set.selfAddr())
  })

  // Example RegisterWithSet (upgrade/downgrade): ranging over Leaders(), a process upgrades
  // when the leader's Addr is its SelfAddr and downgrades when another one leads; Leaders
  // first yields the current leader. RegisterAndStandby fires once this registration leads.
  it('Leaders drives upgrade and downgrade; RegisterAndStandby fires on leading', async () => {
    await client(1).register('cluster', '10.0.0.2:9099')
    await cluster.settle()
    const set = await client(0).registerWithSet('cluster', '10.0.0.1:9099', null)
    await cluster.settle()
    const { elected } = await client(2).registerAndStandby('cluster', '10.0.0.3:9099')
    await cluster.settle()
    const leaders = set.leaders()
    const roles: string[] = []
    const follow = (leader: Service | null): void => {
      roles.push(leader?.addr === set.selfAddr() ? 'upgrade' : 'standby')
    }
    follow((await deadline(leaders.next())).value as Service | null)
    await client(1).unregister('cluster', '10.0.0.2:9099')
    await cluster.settle()
    follow((await deadline(leaders.next())).value as Service | null)
    assert.deepEqual(roles, ['standby', 'upgrade'])
    await client(0).unregister('cluster', '10.0.0.1:9099')
    await cluster.settle()
    assert.equal((await deadline(elected)).addr, '10.0.0.3:9099')
    set.close()
  })

  // ServiceSet.Filter doc: members that do not match are removed at once; Select returns
  // members whose attributes match.
  it('Filter drops non-matching members at once; Select matches attributes', async () => {
    await client(0).registerWithAttributes('web', '10.0.0.1:80', { zone: 'a' })
    await client(1).registerWithAttributes('web', '10.0.0.2:80', { zone: 'b' })
    await cluster.settle()
    const set = client(2).newServiceSet('web')
    assert.deepEqual(
      set.select({ zone: 'b' }).map((s) => s.addr),
      ['10.0.0.2:80'],
    )
    set.filter({ zone: 'a' })
    assert.deepEqual(set.addrs(), ['10.0.0.1:80'])
    set.close()
  })
})
