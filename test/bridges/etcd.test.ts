/**
 * The etcd bridge against a real etcd (Debian's etcd-server), started once for this file on
 * loopback ports of its own. Go-side reads and writes go through the go-kit etcdv3 client
 * shape (keys, values and leases exactly as go-kit writes them) or raw etcd calls.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, describe, it } from 'node:test'
import type { Etcd3 } from 'etcd3'
import { createBridge } from '../../src/compat/bridges/core/bridge.ts'
import { etcdBackend } from '../../src/compat/bridges/etcd/backend.ts'
import { connectEtcd } from '../../src/compat/bridges/etcd/connect.ts'
import { newGoKitEtcdClient } from '../../src/compat/bridges/etcd/gokit-client.ts'
import { goKitLayout } from '../../src/compat/bridges/etcd/layouts.ts'
import { etcd, type InstanceCache } from '../../src/compat/gokit/index.ts'
import { type StoreServer, startEtcd } from '../helpers/stores.ts'
import { bridgeCompliance } from './compliance.ts'
import {
  etcdKeys,
  meshWake,
  sorted,
  spawnBridgeProcess,
  startRealTimeMesh,
  stateWake,
  until,
  type Wake,
  etcdWake as wakeOn,
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

let prefixes = 0
/** A fresh key prefix per test, so tests never see each other's keys. */
function freshPrefix(): string {
  return `/t${prefixes++}/services/`
}

const etcdWake = (prefix: string): Wake => wakeOn(raw, prefix)
const storeKeys = (prefix: string): Promise<Record<string, string>> => etcdKeys(raw, prefix)

bridgeCompliance('etcd go-kit layout', async () => {
  const root = freshPrefix()
  const prefix = `${root}orders/`
  const client = newGoKitEtcdClient([server.endpoint])
  return {
    backend: etcdBackend({ endpoints: [server.endpoint], layout: goKitLayout(root) }),
    registrar: (instance) =>
      etcd.newEtcdRegistrar(client, {
        key: `${prefix}${instance}`,
        value: instance,
        ttl: etcd.newTTLOption(3000, 10_000),
      }),
    instancer: async () => (await etcd.newEtcdInstancer(client, prefix)) as InstanceCache,
    entries: () => client.getEntries(prefix),
    close: () => client.close(),
  }
})

describe('etcd bridge, go-kit layout', () => {
  it('exports a mesh instance as <prefix>S/<id> = first address, on a lease, and imports Go keys as instances', async () => {
    const prefix = freshPrefix()
    const mesh = await startRealTimeMesh(2)
    const [bridgeNode, other] = mesh.nodes as [(typeof mesh.nodes)[0], (typeof mesh.nodes)[0]]
    const bridge = createBridge(bridgeNode, {
      backend: etcdBackend({ endpoints: [server.endpoint], layout: goKitLayout(prefix) }),
    })
    try {
      await other.register({
        service: 'cart',
        id: 'cart-1',
        addresses: ['10.0.0.7:8080', '10.0.0.7:9090'],
      })
      const key = `${prefix}cart/cart-1`
      await until(
        async () => (await storeKeys(prefix))[key] === '10.0.0.7:8080',
        [etcdWake(prefix)],
        15_000,
        'the export',
        () => storeKeys(prefix),
      )
      const kv = (await raw.get(key).exec()).kvs[0]
      assert.ok(kv !== undefined && kv.lease !== '0', 'an export lives on a lease')

      // A Go Registrar (go-kit etcdv3: lease + put) under the service's prefix
      const lease = raw.lease(10)
      await lease.put(`${prefix}cart/1.2.3.4:8080`).value('http://1.2.3.4:8080')
      await until(
        () => other.lookup('cart').some((i) => i.id === '1.2.3.4:8080'),
        [meshWake(other)],
        15_000,
        'the Go registration in the mesh',
      )
      const imported = other.lookup('cart').find((i) => i.id === '1.2.3.4:8080')
      assert.deepEqual(imported?.addresses, ['http://1.2.3.4:8080'])
      assert.equal(imported?.owner, bridgeNode.peerId)
      assert.equal(
        imported?.metadata['gossip-sd.bridge.origin'],
        `etcd go-kit ${prefix}|${prefix}cart/1.2.3.4:8080`,
      )

      // What a Go Instancer reads: every value under the prefix; the import is not echoed back
      const client = newGoKitEtcdClient([server.endpoint])
      assert.deepEqual(sorted(await client.getEntries(`${prefix}cart/`)), [
        '10.0.0.7:8080',
        'http://1.2.3.4:8080',
      ])
      await bridge.synced()
      assert.deepEqual(
        Object.keys(await storeKeys(prefix)).sort(),
        [key, `${prefix}cart/1.2.3.4:8080`].sort(),
      )

      // The Go lease revoked: the instance leaves the mesh
      await lease.revoke()
      await until(
        () => !other.lookup('cart').some((i) => i.id === '1.2.3.4:8080'),
        [meshWake(other)],
        15_000,
        'the revoked Go registration leaves the mesh',
      )
      // The mesh instance deregistered: its key leaves etcd
      await other.deregister(other.lookup('cart').find((i) => i.id === 'cart-1')?.key ?? '')
      await until(
        async () => (await storeKeys(prefix))[key] === undefined,
        [etcdWake(prefix)],
        15_000,
        'the export deleted',
      )
      await client.close()
      assert.equal(bridge.stats().state, 'live')
    } finally {
      await bridge.close()
      await mesh.stop()
    }
  })
})

describe('etcd bridge, outages and crashes', { timeout: 120_000 }, () => {
  it('a store killed mid-run and restarted ends with mesh and store in agreement', async () => {
    const prefix = freshPrefix()
    const { wake: bridgeWake, onStateChange } = stateWake()
    const mesh = await startRealTimeMesh(2)
    const [bridgeNode, other] = mesh.nodes as [(typeof mesh.nodes)[0], (typeof mesh.nodes)[0]]
    const bridge = createBridge(bridgeNode, {
      backend: etcdBackend({
        endpoints: [server.endpoint],
        layout: goKitLayout(prefix),
        callTimeoutMs: 1000,
      }),
      initialBackoffMs: 50,
      maxBackoffMs: 500,
      onStateChange,
    })
    try {
      const a = await other.register({ service: 'svc', id: 'a', addresses: ['10.0.0.1:1'] })
      await other.register({ service: 'svc', id: 'b', addresses: ['10.0.0.2:1'] })
      await raw.put(`${prefix}svc/go-1`).value('10.1.0.1:1')
      await raw.put(`${prefix}svc/go-2`).value('10.1.0.2:1')
      const agree = async (): Promise<boolean> => {
        const keys = await storeKeys(prefix).catch(() => undefined)
        if (keys === undefined) return false
        const meshIds = sorted(other.lookup('svc').map((i) => i.id))
        const storeIds = sorted(Object.keys(keys).map((k) => k.slice(`${prefix}svc/`.length)))
        return JSON.stringify(meshIds) === JSON.stringify(storeIds) && bridge.state === 'live'
      }
      await until(
        agree,
        [meshWake(other, bridgeNode), etcdWake(prefix)],
        15_000,
        'agreement before the kill',
      )

      await server.kill('SIGKILL')
      // While etcd is down the mesh changes: one instance leaves, one arrives
      await other.deregister(a.key)
      await other.register({ service: 'svc', id: 'c', addresses: ['10.0.0.3:1'] })
      await until(
        () => bridge.state === 'down',
        [bridgeWake],
        10_000,
        'the bridge sees the outage',
        () => bridge.stats(),
      )
      await server.restart()
      // and a Go key goes away once etcd is back
      await raw.delete().key(`${prefix}svc/go-2`)

      const ids = (): string[] => sorted(other.lookup('svc').map((i) => i.id))
      await until(
        async () => (await agree()) && JSON.stringify(ids()) === JSON.stringify(['b', 'c', 'go-1']),
        [meshWake(other, bridgeNode), etcdWake(prefix), bridgeWake],
        20_000,
        'mesh and store agree after the restart',
        async () => ({
          mesh: ids(),
          store: await storeKeys(prefix).catch(String),
          bridge: bridge.stats(),
        }),
      )
      assert.ok(bridge.stats().failures > 0, 'the outage was seen as failed passes')
    } finally {
      await bridge.close()
      await mesh.stop()
    }
  })

  it("a crashed bridge's exports leave etcd when its lease ends", async () => {
    const prefix = freshPrefix()
    const child = await spawnBridgeProcess('etcd', server.endpoint, prefix, 2)
    try {
      assert.equal((await storeKeys(prefix))[`${prefix}crash/c1`], '10.9.9.9:1')
      const exited = once(child, 'exit')
      process.kill(child.pid as number, 'SIGKILL')
      await exited
      // The lease (2 s) runs out with nobody keeping it alive: etcd deletes the export
      await until(
        async () => Object.keys(await storeKeys(prefix)).length === 0,
        [etcdWake(prefix)],
        10_000,
        'the export expires with its lease',
        () => storeKeys(prefix),
      )
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  })
})
