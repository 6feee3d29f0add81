/**
 * Every etcd layout round-trips between two meshes through a real etcd (mesh → store → mesh,
 * each mesh with its own bridge), Go-style writers (keys, values and leases exactly as the Go
 * libraries write them) are seen in the mesh, and mesh instances read back as the Go readers
 * would read them.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Etcd3 } from 'etcd3'
import { newRegister, newWatcher } from '../../src/compat/biregister/index.ts'
import { type Bridge, createBridge } from '../../src/compat/bridges/core/bridge.ts'
import { etcdBackend } from '../../src/compat/bridges/etcd/backend.ts'
import { connectEtcd } from '../../src/compat/bridges/etcd/connect.ts'
import {
  biregisterLayout,
  CREATE_REVISION_METADATA,
  type EtcdLayout,
  goKitLayout,
  goMicroLayout,
} from '../../src/compat/bridges/etcd/layouts.ts'
import { newRegistry } from '../../src/compat/micro/index.ts'
import type { Instance } from '../../src/contract.ts'
import type { Mesh } from '../../src/membership/index.ts'
import { type StoreServer, startEtcd } from '../helpers/stores.ts'
import {
  etcdKeys,
  etcdWake,
  meshWake,
  type RealTimeMesh,
  startRealTimeMesh,
  until,
} from './helpers.ts'

let server: StoreServer
let raw: Etcd3
before(async () => {
  server = await startEtcd()
  raw = connectEtcd([server.endpoint], 3000)
})
after(async () => {
  raw.close()
  await server.stop()
})

/** Two meshes of two nodes, each bridged (node 0) to the same etcd in `layout`. */
interface TwoMeshes {
  readonly a: Mesh
  readonly b: Mesh
  readonly bridges: Bridge[]
  stop(): Promise<void>
}

async function twoMeshes(layout: () => EtcdLayout): Promise<TwoMeshes> {
  const meshes: RealTimeMesh[] = [await startRealTimeMesh(2), await startRealTimeMesh(2)]
  const bridges = meshes.map((mesh, i) =>
    createBridge(mesh.nodes[0] as Mesh, {
      mesh: `mesh-${i}`,
      backend: etcdBackend({ endpoints: [server.endpoint], layout: layout() }),
    }),
  )
  return {
    a: meshes[0]?.nodes[1] as Mesh,
    b: meshes[1]?.nodes[1] as Mesh,
    bridges,
    stop: async () => {
      for (const bridge of bridges) await bridge.close()
      for (const mesh of meshes) await mesh.stop()
    },
  }
}

function find(node: Mesh, service: string, id: string): Instance | undefined {
  return node.lookup(service).find((i) => i.id === id)
}

async function seen(node: Mesh, service: string, id: string, what: string): Promise<Instance> {
  await until(
    () => find(node, service, id) !== undefined,
    [meshWake(node)],
    15_000,
    what,
    () => node.services().map((i) => `${i.service}/${i.id}`),
  )
  return find(node, service, id) as Instance
}

async function gone(node: Mesh, service: string, id: string, what: string): Promise<void> {
  await until(() => find(node, service, id) === undefined, [meshWake(node)], 15_000, what)
}

describe('etcd layouts round-trip between two meshes', () => {
  it('go-kit: the instance string crosses, and nothing echoes back', async () => {
    const m = await twoMeshes(() => goKitLayout('/rt/gokit/'))
    try {
      await m.a.register({ service: 'pay', id: 'p1', addresses: ['10.0.0.1:80'] })
      const copy = await seen(m.b, 'pay', 'p1', 'mesh b sees mesh a')
      assert.deepEqual(copy.addresses, ['10.0.0.1:80'])
      await m.b.register({ service: 'pay', id: 'p2', addresses: ['10.0.0.2:80'] })
      await seen(m.a, 'pay', 'p2', 'mesh a sees mesh b')
      for (const bridge of m.bridges) await bridge.synced()
      assert.deepEqual(Object.keys(await etcdKeys(raw, '/rt/gokit/')).sort(), [
        '/rt/gokit/pay/p1',
        '/rt/gokit/pay/p2',
      ])
      assert.equal(m.a.lookup('pay').length, 2, 'no echo: one instance per key in mesh a')
      assert.equal(m.b.lookup('pay').length, 2, 'no echo: one instance per key in mesh b')
      await m.a.deregister(find(m.a, 'pay', 'p1')?.key ?? '')
      await gone(m.b, 'pay', 'p1', 'the deregistration crosses')
    } finally {
      await m.stop()
    }
  })

  it('go-micro: version, metadata and endpoints cross; / in names becomes -', async () => {
    const m = await twoMeshes(goMicroLayout)
    try {
      const endpoints = [
        {
          name: 'Greeter.Hello',
          request: { name: 'Request', type: 'Request', values: [] },
          metadata: { stream: 'false' },
        },
      ]
      await m.a.register({
        service: 'go.micro.srv.greeter',
        id: 'greeter/1',
        version: '1.2.0',
        addresses: ['10.0.0.1:9090'],
        metadata: { region: 'eu', 'micro.service:team': 'core' },
        endpoints,
      })
      const copy = await seen(m.b, 'go.micro.srv.greeter', 'greeter/1', 'mesh b sees mesh a')
      assert.equal(copy.version, '1.2.0')
      assert.deepEqual(copy.addresses, ['10.0.0.1:9090'])
      assert.equal(copy.metadata.region, 'eu')
      assert.equal(copy.metadata['micro.service:team'], 'core')
      assert.deepEqual(copy.endpoints, endpoints)

      // What go-micro's etcd registry reads: the key and Go's JSON encoding of the Service
      const key = '/micro/registry/go.micro.srv.greeter/greeter-1'
      const stored = JSON.parse((await etcdKeys(raw, key))[key] ?? 'null')
      assert.deepEqual(stored, {
        name: 'go.micro.srv.greeter',
        version: '1.2.0',
        metadata: { team: 'core' },
        endpoints,
        nodes: [{ id: 'greeter/1', address: '10.0.0.1:9090', metadata: { region: 'eu' } }],
      })
      assert.deepEqual(Object.keys(stored), ['name', 'version', 'metadata', 'endpoints', 'nodes'])
      await m.a.deregister(find(m.a, 'go.micro.srv.greeter', 'greeter/1')?.key ?? '')
      await gone(m.b, 'go.micro.srv.greeter', 'greeter/1', 'the deregistration crosses')
    } finally {
      await m.stop()
    }
  })

  it('biregister: names and values cross, created only if absent', async () => {
    const m = await twoMeshes(() => biregisterLayout('/rt/bireg/'))
    try {
      const first = await newRegister(m.a, '/rt/bireg/', 'n1', '10.0.0.1:1', 10)
      const copy = await seen(m.b, '/rt/bireg', 'n1', 'mesh b sees mesh a')
      assert.deepEqual(copy.addresses, ['10.0.0.1:1'])
      const watcher = newWatcher(m.b, '/rt/bireg/', 10)
      assert.deepEqual(watcher.getLeader(), { name: 'n1', value: '10.0.0.1:1' })
      watcher.close()
      // A name Go code already created is never overwritten by an export
      await raw.put('/rt/bireg/taken').value('go-value')
      await seen(m.a, '/rt/bireg', 'taken', 'the Go key in mesh a')
      first.close()
      await gone(m.b, '/rt/bireg', 'n1', 'the deregistration crosses')
      assert.equal((await etcdKeys(raw, '/rt/bireg/'))['/rt/bireg/taken'], 'go-value')
    } finally {
      await m.stop()
    }
  })
})

describe('Go-style writers are seen in the mesh', () => {
  it('go-micro: a node registered with a lease TTL, as go-micro writes it', async () => {
    const mesh = await startRealTimeMesh(2)
    const bridge = createBridge(mesh.nodes[0] as Mesh, {
      backend: etcdBackend({ endpoints: [server.endpoint], layout: goMicroLayout() }),
    })
    try {
      const lease = raw.lease(5)
      // go-micro: Grant(ttl) then Put(nodePath(name, id), encode(service), WithLease)
      await lease
        .put('/micro/registry/go.micro.api/api-7f3a')
        .value(
          '{"name":"go.micro.api","version":"latest","metadata":{"tier":"edge"},"endpoints":null,"nodes":[{"id":"api-7f3a","address":"10.2.0.9:8080","metadata":{"broker":"http","protocol":"grpc"}}]}',
        )
      const reader = mesh.nodes[1] as Mesh
      const instance = await seen(reader, 'go.micro.api', 'api-7f3a', 'the go-micro node')
      assert.equal(instance.version, 'latest')
      assert.deepEqual(instance.addresses, ['10.2.0.9:8080'])
      assert.equal(instance.metadata.protocol, 'grpc')
      // and go-micro's own Registry face on the mesh reads it back as a Service
      const [service] = await newRegistry(reader).getService('go.micro.api')
      assert.equal(service?.metadata.tier, 'edge')
      assert.equal(service?.nodes[0]?.address, '10.2.0.9:8080')
      // A key that is not a go-micro Service is skipped, as go-micro's decode skips it
      await raw.put('/micro/registry/junk/x').value('not json')
      await bridge.synced()
      assert.equal(reader.lookup('junk').length, 0)
      await lease.revoke()
      await gone(reader, 'go.micro.api', 'api-7f3a', 'the lease revoked')
    } finally {
      await bridge.close()
      await mesh.stop()
    }
  })

  it("biregister: keys created if absent on a lease; the mesh leader is etcd's lowest create revision", async () => {
    const mesh = await startRealTimeMesh(2)
    const prefix = '/gw/bireg/'
    const bridge = createBridge(mesh.nodes[0] as Mesh, {
      backend: etcdBackend({ endpoints: [server.endpoint], layout: biregisterLayout(prefix) }),
    })
    const reader = mesh.nodes[1] as Mesh
    try {
      const leases = [raw.lease(5), raw.lease(5)]
      // biregister: Txn(If(CreateRevision(key) == 0)).Then(Put(key, value, WithLease))
      const create = async (i: number, name: string, value: string): Promise<void> => {
        const lease = leases[i] as ReturnType<Etcd3['lease']>
        const id = await lease.grant()
        const { succeeded } = await raw
          .if(`${prefix}${name}`, 'Create', '==', 0)
          .then(raw.put(`${prefix}${name}`).value(value).lease(id))
          .commit()
        assert.ok(succeeded)
      }
      await create(0, 'b-first', '10.3.0.1:1')
      await seen(reader, '/gw/bireg', 'b-first', 'the first biregister key')
      await create(1, 'a-second', '10.3.0.2:1')
      const second = await seen(reader, '/gw/bireg', 'a-second', 'the second biregister key')
      const first = find(reader, '/gw/bireg', 'b-first') as Instance
      assert.ok(
        BigInt(first.metadata[CREATE_REVISION_METADATA] ?? '0') <
          BigInt(second.metadata[CREATE_REVISION_METADATA] ?? '0'),
      )
      const watcher = newWatcher(reader, prefix, 5)
      assert.deepEqual(watcher.getLeader(), { name: 'b-first', value: '10.3.0.1:1' })
      watcher.close()
      await (leases[0] as ReturnType<Etcd3['lease']>).revoke()
      await gone(reader, '/gw/bireg', 'b-first', 'the leader leaves')
      await (leases[1] as ReturnType<Etcd3['lease']>).revoke()
    } finally {
      await bridge.close()
      await mesh.stop()
    }
  })
})

describe('several bridges of one mesh on one store', () => {
  it('two bridges import each Go key once and write each export once', async () => {
    const mesh = await startRealTimeMesh(3)
    const [n0, n1, n2] = mesh.nodes as [Mesh, Mesh, Mesh]
    const bridges = [n0, n1].map((node) =>
      createBridge(node, {
        mesh: 'shared',
        backend: etcdBackend({ endpoints: [server.endpoint], layout: goKitLayout('/two/') }),
      }),
    )
    try {
      await raw.put('/two/svc/go-1').value('10.4.0.1:1')
      await n2.register({ service: 'svc', id: 'm1', addresses: ['10.4.0.2:1'] })
      await seen(n2, 'svc', 'go-1', 'the Go key in the mesh')
      await until(
        async () => Object.keys(await etcdKeys(raw, '/two/')).length === 2,
        [etcdWake(raw, '/two/')],
        15_000,
        'the export',
      )
      for (let round = 0; round < 2; round++) for (const b of bridges) await b.synced()
      assert.deepEqual(
        n2
          .lookup('svc')
          .map((i) => i.id)
          .sort(),
        ['go-1', 'm1'],
        'each Go key imported by one bridge only',
      )
      assert.deepEqual(Object.keys(await etcdKeys(raw, '/two/')).sort(), [
        '/two/svc/go-1',
        '/two/svc/m1',
      ])
      const lower = [n0, n1].map((n) => n.peerId).sort()[0]
      assert.equal(find(n2, 'svc', 'go-1')?.owner, lower)
    } finally {
      for (const b of bridges) await b.close()
      await mesh.stop()
    }
  })
})
