import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { DEFAULT_LIMITS } from '../../src/membership/limits.ts'
import { startMemoryCluster } from '../../src/memory/memory-cluster.ts'
import {
  heartbeatCapacity,
  heartbeatSchedule,
  lanMeshConfig,
  localMeshConfig,
  wanMeshConfig,
} from '../../src/mesh/config.ts'
import type { Mesh } from '../../src/mesh/mesh.ts'

describe('heartbeat schedule', () => {
  test('up to the capacity the configured timings hold and no lease is signed', () => {
    const config = lanMeshConfig()
    assert.equal(heartbeatCapacity(config), 50)
    assert.deepEqual(heartbeatSchedule(config, 50), {
      heartbeatIntervalMs: 1000,
      antiEntropyIntervalMs: 5000,
      leaseMs: 0,
    })
    assert.deepEqual(heartbeatSchedule(config, 51), {
      heartbeatIntervalMs: 2000,
      antiEntropyIntervalMs: 10_000,
      leaseMs: 6000,
    })
    assert.equal(heartbeatSchedule(wanMeshConfig(), 1000).heartbeatIntervalMs, 2000 * 16)
    assert.equal(heartbeatSchedule(wanMeshConfig(), 1000).leaseMs, 15_000 * 16)
  })

  test('the stretch stops where the lease would pass the longest TTL peers accept', () => {
    const config = lanMeshConfig({ limits: { maxTtlMs: 100_000 } })
    // 3 s TTL: a stretch of 32 gives a 96 s lease, 64 would give 192 s.
    const s = heartbeatSchedule(config, 1_000_000)
    assert.equal(s.leaseMs, 96_000)
    assert.equal(s.heartbeatIntervalMs, 32_000)
    assert.equal(heartbeatSchedule({ ...config, maxHeartbeatsPerSecond: 0 }, 2).leaseMs, 96_000)
  })

  test('beyond it, the smallest power-of-two stretch keeps each node within its budget', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(lanMeshConfig(), wanMeshConfig(), localMeshConfig()),
        fc.integer({ min: 1, max: 500 }),
        (nodes, preset, budget) => {
          const config = { ...preset, maxHeartbeatsPerSecond: budget }
          const s = heartbeatSchedule(config, nodes)
          const stretch = s.heartbeatIntervalMs / config.heartbeatIntervalMs
          const perSecond = (n: number, interval: number) => (n * 1000) / interval
          assert.ok(Number.isInteger(Math.log2(stretch)))
          if (stretch === 1) {
            assert.equal(s.leaseMs, 0)
            assert.ok(perSecond(nodes, s.heartbeatIntervalMs) <= budget)
            return
          }
          assert.equal(s.leaseMs, config.defaultTtlMs * stretch)
          assert.ok(s.leaseMs <= DEFAULT_LIMITS.maxTtlMs)
          if (s.leaseMs * 2 <= DEFAULT_LIMITS.maxTtlMs)
            assert.ok(perSecond(nodes, s.heartbeatIntervalMs) <= budget)
          assert.ok(perSecond(nodes, s.heartbeatIntervalMs / 2) > budget)
          assert.equal(s.antiEntropyIntervalMs, config.antiEntropyIntervalMs * stretch)
        },
      ),
    )
  })
})

/** Heartbeat frames each node receives per second over `windowMs`, averaged over nodes. */
async function receivedPerNodePerSecond(size: number, budget: number, windowMs: number) {
  const config = localMeshConfig({ maxHeartbeatsPerSecond: budget, antiEntropyIntervalMs: 600_000 })
  const cluster = await startMemoryCluster(size, { config })
  await cluster.settle(3000)
  const before = cluster.nodes.map((m) => m.stats().framesReceived)
  await cluster.settle(windowMs)
  const received = cluster.nodes.map((m, i) => m.stats().framesReceived - (before[i] as number))
  const schedules = cluster.nodes.map((m: Mesh) => m.heartbeatSchedule)
  await cluster.stop()
  const total = received.reduce((a, b) => a + b, 0)
  return { perSecond: total / size / (windowMs / 1000), schedules }
}

describe('a mesh beyond its heartbeat capacity', () => {
  test('per-node load stays flat as the cluster doubles; without the budget it doubles', async () => {
    // local: 250 ms heartbeats; a budget of 16/s serves 4 nodes.
    const small = await receivedPerNodePerSecond(8, 16, 8000)
    const large = await receivedPerNodePerSecond(16, 16, 8000)
    assert.ok(small.schedules.every((s) => s.heartbeatIntervalMs === 500 && s.leaseMs === 3000))
    assert.ok(large.schedules.every((s) => s.heartbeatIntervalMs === 1000 && s.leaseMs === 6000))
    // Stretched intervals are jittered down by up to 10 %: at most 16 / 0.9 per second.
    for (const rate of [small.perSecond, large.perSecond]) assert.ok(rate <= 16 / 0.9, `${rate}`)
    const ratio = large.perSecond / small.perSecond
    assert.ok(ratio > 0.8 && ratio < 1.25, `${small.perSecond} vs ${large.perSecond}`)
    const unbounded = await receivedPerNodePerSecond(16, 1000, 8000)
    assert.ok(unbounded.perSecond >= 1.8 * large.perSecond, `${unbounded.perSecond}`)
  })

  test('instances live on between spaced heartbeats, and a cut-off owner’s expire within its lease', async () => {
    const config = localMeshConfig({ maxHeartbeatsPerSecond: 8 })
    const cluster = await startMemoryCluster(6, { config })
    const [a, b] = cluster.nodes as [Mesh, Mesh]
    await a.register({ service: 'web', id: 'w1', addresses: ['h:1'] })
    await cluster.settle(10_000)
    // 6 nodes, capacity 2: heartbeats every 4 × 250 ms with a lease of 4 × 1500 ms.
    assert.equal(a.heartbeatSchedule.heartbeatIntervalMs, 1000)
    assert.equal(a.heartbeatSchedule.leaseMs, 6000)
    assert.deepEqual(
      cluster.nodes.map((m) => m.lookup('web').length),
      [1, 1, 1, 1, 1, 1],
    )
    const others = cluster.nodes.slice(1).map((m) => m.peerId)
    cluster.network.partition([a.peerId], others)
    const cut = cluster.scheduler.now()
    let expiredAt: number | undefined
    b.subscribe((changes) => {
      if (changes.some((c) => c.type === 'expired')) expiredAt ??= cluster.scheduler.now()
    })
    await cluster.settle(4000)
    assert.equal(b.lookup('web').length, 1, 'still alive beyond the 1500 ms TTL')
    await cluster.settle(4000)
    assert.ok(expiredAt !== undefined, 'expired once the lease ran out')
    assert.ok(expiredAt - cut <= 6000 + config.expiryIntervalMs, `after ${expiredAt - cut} ms`)
    assert.equal(b.liveNodes().includes(a.peerId), false)
    await cluster.stop()
  })
})
