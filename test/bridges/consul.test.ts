/**
 * The Consul bridge against the recorded-behaviour Consul agent (fake-consul.ts: Consul's
 * documented API for the endpoints used, real HTTP on loopback; not yet a live Consul). Go-side
 * reads and writes go through consul-go-style.ts, shaped as go-kit's sd/consul and consul/api.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { nextIndex } from '../../src/compat/bridges/consul/blocking.ts'
import { type Bridge, consulBackend, createBridge } from '../../src/compat/bridges/index.ts'
import type { Mesh } from '../../src/membership/index.ts'
import { bridgeCompliance } from './compliance.ts'
import { goHealth, goInstancer, goRegistrar } from './consul-go-style.ts'
import { type FakeConsul, startFakeConsul } from './fake-consul.ts'
import {
  meshWake,
  sorted,
  spawnBridgeProcess,
  startRealTimeMesh,
  stateWake,
  until,
  type Wake,
} from './helpers.ts'

const consulWake =
  (consul: FakeConsul): Wake =>
  (callback) => {
    consul.changes.on('change', callback)
    return () => consul.changes.off('change', callback)
  }

function bridgeOn(
  node: Mesh,
  consul: FakeConsul,
  options: { mesh?: string; onStateChange?: () => void } = {},
): Bridge {
  return createBridge(node, {
    mesh: options.mesh ?? 'gossip-sd',
    backend: consulBackend({ url: consul.url, callTimeoutMs: 1000, ttlS: 3 }),
    initialBackoffMs: 50,
    maxBackoffMs: 500,
    ...(options.onStateChange === undefined ? {} : { onStateChange: options.onStateChange }),
  })
}

describe('Consul blocking-query index', () => {
  it('keeps a rising index, takes 0 or a missing index as 1, and resets to 0 when it goes back', () => {
    assert.equal(nextIndex(0, '12'), 12)
    assert.equal(nextIndex(12, '12'), 12)
    assert.equal(nextIndex(12, '40'), 40)
    assert.equal(nextIndex(0, '0'), 1)
    assert.equal(nextIndex(0, null), 1)
    assert.equal(nextIndex(0, 'junk'), 1)
    assert.equal(nextIndex(40, '3'), 0)
    assert.equal(nextIndex(40, '0'), 0, 'a 0 after 40 is 1, lower than 40: start over')
    assert.equal(nextIndex(0, '3'), 3)
  })
})

bridgeCompliance('Consul (recorded-behaviour agent)', async () => {
  const consul = await startFakeConsul()
  return {
    backend: consulBackend({ url: consul.url, callTimeoutMs: 1000 }),
    registrar: (instance) => goRegistrar(consul.url, 'orders', instance),
    instancer: async () => goInstancer(consul.url, 'orders'),
    entries: async () => consul.instances('orders'),
    close: () => consul.stop(),
  }
})

describe('Consul bridge', () => {
  it('exports mesh instances as TTL-checked agent services read back as Go reads them, and imports passing Go registrations', async () => {
    const consul = await startFakeConsul()
    const mesh = await startRealTimeMesh(3)
    const [bridgeNode, other, second] = mesh.nodes as [Mesh, Mesh, Mesh]
    const bridges = [bridgeOn(bridgeNode, consul), bridgeOn(second, consul)]
    try {
      await other.register({
        service: 'cart',
        id: 'cart-1',
        addresses: ['10.0.0.7:8080', '10.0.0.7:9090'],
        metadata: { zone: 'eu-1', 'not valid': 'dropped' },
      })
      await until(
        () => consul.instances('cart').length === 1,
        [consulWake(consul)],
        15_000,
        'the export',
      )
      // As a Go health query (passingOnly) reads it: one entry, Address:Port, Meta, check passing
      const health = await goHealth(consul.url, 'cart')
      assert.deepEqual(health.instances, ['10.0.0.7:8080'])
      const entry = health.entries[0]
      assert.equal(entry?.Service.ID, 'gossip-sd:cart:cart-1')
      assert.equal(entry?.Service.Meta.zone, 'eu-1')
      assert.equal(entry?.Service.Meta['gossip-sd-mesh'], 'gossip-sd')
      assert.equal(entry?.Service.Meta['not valid'], undefined)
      assert.equal(consul.checkStatus('service:gossip-sd:cart:cart-1'), 'passing')

      // A Consul-side registration as consul/api writes it: enters the mesh once, with its origin
      const go = goRegistrar(consul.url, 'cart', '10.1.0.1:80', { version: '2' })
      await go.register()
      await until(
        () => other.lookup('cart').length === 2,
        [meshWake(other)],
        15_000,
        'the Go registration in the mesh',
      )
      const imported = other.lookup('cart').find((i) => i.id !== 'cart-1')
      assert.equal(imported?.id, `fake-consul-1/${go.id}`)
      assert.deepEqual(imported?.addresses, ['10.1.0.1:80'])
      assert.equal(imported?.metadata.version, '2')
      assert.ok([bridgeNode.peerId, second.peerId].includes(imported?.owner ?? ''))
      assert.equal(
        imported?.metadata['gossip-sd.bridge.origin'],
        `consul ${consul.url}|fake-consul-1/${go.id}`,
      )
      // Two bridges of one mesh: one export, one import, nothing echoed
      for (const bridge of bridges) await bridge.synced()
      assert.deepEqual(sorted(consul.instances('cart')), ['10.0.0.7:8080', '10.1.0.1:80'])
      assert.equal(other.lookup('cart').length, 2)

      // A Go service whose TTL check is never passed turns critical and leaves the mesh
      const res = await fetch(`${consul.url}/v1/agent/service/register`, {
        method: 'PUT',
        body: JSON.stringify({
          ID: 'flaky-1',
          Name: 'cart',
          Address: '10.1.0.2',
          Port: 80,
          Check: { TTL: '500ms', Status: 'passing' },
        }),
      })
      assert.equal(res.status, 200)
      await until(
        () => other.lookup('cart').some((i) => i.id === 'fake-consul-1/flaky-1'),
        [meshWake(other)],
        15_000,
        'the flaky service enters',
      )
      await until(
        () => !other.lookup('cart').some((i) => i.id === 'fake-consul-1/flaky-1'),
        [meshWake(other)],
        15_000,
        'the flaky service leaves once critical',
      )
      await go.deregister()
      await other.deregister(other.lookup('cart').find((i) => i.id === 'cart-1')?.key ?? '')
      await until(
        () => other.lookup('cart').length === 0 && consul.instances('cart').length === 0,
        [meshWake(other), consulWake(consul)],
        15_000,
        'both sides empty',
      )
    } finally {
      for (const bridge of bridges) await bridge.close()
      await mesh.stop()
      await consul.stop()
    }
  })
})

describe('Consul bridge, restarts and crashes', { timeout: 120_000 }, () => {
  it('an agent restarted with its state lost (index reset) ends with mesh and Consul in agreement', async () => {
    const consul = await startFakeConsul()
    const mesh = await startRealTimeMesh(2)
    const [bridgeNode, other] = mesh.nodes as [Mesh, Mesh]
    const { wake: bridgeWake, onStateChange } = stateWake()
    const bridge = bridgeOn(bridgeNode, consul, { onStateChange })
    try {
      const a = await other.register({ service: 'svc', id: 'a', addresses: ['10.7.0.1:1'] })
      await other.register({ service: 'svc', id: 'b', addresses: ['10.7.0.2:1'] })
      await goRegistrar(consul.url, 'svc', '10.8.0.1:1').register()
      const ids = (): string[] => sorted(other.lookup('svc').map((i) => i.id))
      await until(
        () => consul.instances('svc').length === 3 && ids().length === 3,
        [consulWake(consul), meshWake(other)],
        15_000,
        'agreement before the restart',
      )
      // Churn, so that the indexes before the restart lie well above where the new agent starts
      const churn = goRegistrar(consul.url, 'svc', '10.9.0.1:1')
      for (let i = 0; i < 20; i++) {
        await churn.register()
        await churn.deregister()
      }
      const before = (await goHealth(consul.url, 'svc')).index

      await consul.stop()
      await other.deregister(a.key)
      await other.register({ service: 'svc', id: 'c', addresses: ['10.7.0.3:1'] })
      await until(() => bridge.state === 'down', [bridgeWake], 10_000, 'the bridge sees the outage')
      await consul.start() // same port, state lost, indexes start over
      assert.ok((await goHealth(consul.url, 'svc')).index < before, 'the index went back')
      // the Go service registered before is gone with the agent's state; another one arrives
      await goRegistrar(consul.url, 'svc', '10.8.0.2:1').register()

      await until(
        () =>
          bridge.state === 'live' &&
          JSON.stringify(sorted(consul.instances('svc'))) ===
            JSON.stringify(['10.7.0.2:1', '10.7.0.3:1', '10.8.0.2:1']) &&
          JSON.stringify(ids()) === JSON.stringify(['b', 'c', 'fake-consul-1/svc-10.8.0.2:1']),
        [bridgeWake, consulWake(consul), meshWake(other)],
        30_000,
        'mesh and Consul agree after the restart',
        () => ({ mesh: ids(), consul: consul.instances('svc'), bridge: bridge.stats() }),
      )
      assert.ok(bridge.stats().failures > 0, 'the outage was seen as failed passes')
      // The bridge's blocking queries follow the new, lower indexes: a later change arrives
      await goRegistrar(consul.url, 'svc', '10.8.0.3:1').register()
      await until(
        () => ids().includes('fake-consul-1/svc-10.8.0.3:1'),
        [meshWake(other)],
        15_000,
        'a registration after the restart reaches the mesh',
        ids,
      )
    } finally {
      await bridge.close()
      await mesh.stop()
      await consul.stop()
    }
  })

  it("a crashed bridge's services turn critical after their TTL", async () => {
    const consul = await startFakeConsul()
    const child = await spawnBridgeProcess('consul', consul.url, '-', 2)
    try {
      const check = 'service:gossip-sd:crash:c1'
      assert.deepEqual(consul.instances('crash'), ['10.9.9.9:1'])
      assert.equal(consul.checkStatus(check), 'passing')
      const exited = once(child, 'exit')
      process.kill(child.pid as number, 'SIGKILL')
      await exited
      // Nobody passes the check any more: critical after its TTL (2 s), out of passing answers
      await until(
        () => consul.checkStatus(check) === 'critical',
        [consulWake(consul)],
        10_000,
        'the check turns critical',
      )
      assert.deepEqual(consul.instances('crash'), [])
      assert.deepEqual(consul.instances('crash', false), ['10.9.9.9:1'], 'still registered')
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await consul.stop()
    }
  })
})
