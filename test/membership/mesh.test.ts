import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { WatchEvent } from '../../src/contract.ts'
import { InvalidArgumentError, OwnerMismatchError } from '../../src/membership/errors.ts'
import { decodeFrame, type FrameContent } from '../../src/membership/frame.ts'
import { generateSigner } from '../../src/membership/identity.ts'
import { DEFAULT_LIMITS } from '../../src/membership/limits.ts'
import type { Transport } from '../../src/membership/transport.ts'
import type { InstanceSpec } from '../../src/membership/types.ts'
import { MemoryNetwork } from '../../src/memory/memory.ts'
import { flush, startMemoryCluster } from '../../src/memory/memory-cluster.ts'
import { localMeshConfig, type MeshConfig } from '../../src/mesh/config.ts'
import { Mesh } from '../../src/mesh/mesh.ts'
import { VirtualScheduler } from '../../src/mesh/scheduler.ts'

async function started(size: number, options: { loss?: number; config?: MeshConfig } = {}) {
  const { scheduler, network, nodes, run } = await startMemoryCluster(size, { seed: 3, ...options })
  return { scheduler, network, meshes: nodes, run }
}

const counts = (meshes: Mesh[], service: string) => meshes.map((m) => m.lookup(service).length)

describe('mesh driver over the in-memory transport', () => {
  test('register, update and deregister reach every node within one push', async () => {
    const { scheduler, meshes } = await started(4)
    const [a] = meshes as [Mesh]
    const handle = await a.register({ service: 'web', id: 'w1', addresses: ['h:1'] })
    scheduler.advance(5)
    assert.deepEqual(counts(meshes, 'web'), [1, 1, 1, 1])
    await handle.update({ addresses: ['h:2'] })
    scheduler.advance(5)
    assert.deepEqual(
      meshes.map((m) => m.lookup('web')[0]?.addresses[0]),
      ['h:2', 'h:2', 'h:2', 'h:2'],
    )
    await handle.deregister()
    scheduler.advance(5)
    assert.deepEqual(counts(meshes, 'web'), [0, 0, 0, 0])
  })

  test('heartbeats keep instances alive far beyond their TTL', async () => {
    const { scheduler, meshes } = await started(3)
    await meshes[0]!.register({ service: 'web', id: 'w1', addresses: ['h:1'] })
    scheduler.advance(30_000)
    assert.deepEqual(counts(meshes, 'web'), [1, 1, 1])
  })

  test('a crashed owner’s instances expire everywhere within TTL of its last refresh', async () => {
    const { scheduler, network, meshes } = await started(3)
    const [a, b, c] = meshes as [Mesh, Mesh, Mesh]
    // Between two ticks of the sweep interval: the push of the registration (which carries a
    // fresh heartbeat) is the last refresh b and c see, and its TTL ends between two ticks too.
    scheduler.advance(localMeshConfig().expiryIntervalMs * 0.6)
    const cut = scheduler.now()
    await a.register({ service: 'web', id: 'w1', addresses: ['h:1'] })
    const delivery = 5
    scheduler.advance(delivery)
    network.partition([a.peerId], [b.peerId, c.peerId])
    const ttl = localMeshConfig().defaultTtlMs
    const expiredAt = new Promise<number>((resolve) =>
      b.subscribe(
        (changes) => changes.some((x) => x.type === 'expired') && resolve(scheduler.now()),
      ),
    )
    scheduler.advance(
      ttl + localMeshConfig().heartbeatIntervalMs + localMeshConfig().expiryIntervalMs,
    )
    // The sweep runs at the due, not at the next tick of the sweep interval after it.
    const elapsed = (await expiredAt) - cut
    assert.ok(elapsed <= ttl + delivery, `expired after ${elapsed} ms`)
    assert.deepEqual(counts([b, c], 'web'), [0, 0])
  })

  test('after a partition heals, anti-entropy brings both sides together', async () => {
    const { scheduler, network, meshes } = await started(4)
    const [a, b, c, d] = meshes as [Mesh, Mesh, Mesh, Mesh]
    network.partition([a.peerId, b.peerId], [c.peerId, d.peerId])
    scheduler.advance(10)
    await a.register({ service: 'left', id: '1', addresses: ['h:1'] })
    await c.register({ service: 'right', id: '1', addresses: ['h:2'] })
    scheduler.advance(100)
    assert.deepEqual(counts(meshes, 'left'), [1, 1, 0, 0])
    network.heal()
    scheduler.advance(50)
    assert.deepEqual(counts(meshes, 'left'), [1, 1, 1, 1])
    assert.deepEqual(counts(meshes, 'right'), [1, 1, 1, 1])
  })

  test('a late joiner receives the full set through anti-entropy', async () => {
    const { scheduler, network, meshes } = await started(3)
    for (const [i, mesh] of meshes.entries()) {
      for (let j = 0; j < 5; j++)
        await mesh.register({ service: 'svc', id: `${i}-${j}`, addresses: [`h:${i}${j}`] })
    }
    scheduler.advance(100)
    const signer = generateSigner()
    const late = new Mesh({
      transport: network.createTransport(signer.ownerId),
      signer,
      scheduler,
      config: localMeshConfig(),
    })
    await late.start()
    scheduler.advance(20)
    assert.equal(late.lookup('svc').length, 15)
  })

  test('beyond the heartbeat capacity, a pull asks only about the owners it wants', async () => {
    // Capacity floor(8 heartbeats/s × 250 ms) = 2 nodes: a cluster of 5 is beyond it.
    const config = localMeshConfig({ maxHeartbeatsPerSecond: 8 })
    const scheduler = new VirtualScheduler(1_700_000_000_000)
    const network = new MemoryNetwork({ latencyMs: 2, scheduler, seed: 5 })
    const requests: Array<{ to: string; digest: Array<string | undefined>; partial: boolean }> = []
    const meshes = Array.from({ length: 5 }, (_, i) => {
      const signer = generateSigner()
      const inner = network.createTransport(signer.ownerId)
      const transport: Transport =
        i === 4
          ? recordingSends(inner, (to, { digest, wantReply }) => {
              if (wantReply && digest !== undefined)
                requests.push({
                  to,
                  digest: digest.owners.map((o) => o.ownerId),
                  partial: digest.partial,
                })
            })
          : inner
      return new Mesh({ transport, signer, scheduler, config })
    })
    await startWithOneInstanceEach(meshes)
    const settle = (ms: number) => advance(scheduler, ms, 10)
    await settle(500)
    const [a, , , , e] = meshes as [Mesh, Mesh, Mesh, Mesh, Mesh]
    assert.equal(e.lookup('svc').length, 5)
    network.setLink(a.peerId, e.peerId, { loss: 1 })
    await a.register({ service: 'svc', id: '0', addresses: ['h:new'] })
    await settle(20)
    network.setLink(a.peerId, e.peerId, { loss: 0 })
    assert.equal(e.lookup('svc').find((x) => x.id === '0')?.addresses[0], 'h:0', 'e missed it')
    requests.length = 0
    // a's next heartbeat shows e it missed the update: e pulls from a, over a alone.
    const heartbeatMs = e.heartbeatSchedule.heartbeatIntervalMs
    await settle(heartbeatMs * 2)
    assert.ok(heartbeatMs > config.heartbeatIntervalMs, 'the schedule is stretched')
    assert.equal(e.lookup('svc').find((x) => x.id === '0')?.addresses[0], 'h:new')
    const pulls = requests.filter((r) => r.partial)
    assert.ok(pulls.length > 0, 'e pulled')
    for (const pull of pulls)
      assert.deepEqual(pull, { to: a.peerId, digest: [a.peerId], partial: true })
  })

  test('beyond the heartbeat capacity a full exchange opens with bucket fingerprints; synced nodes answer with an empty digest', async () => {
    // Capacity floor(8 heartbeats/s × 250 ms) = 2 nodes: a cluster of 3 is beyond it.
    const config = localMeshConfig({ maxHeartbeatsPerSecond: 8 })
    const scheduler = new VirtualScheduler(1_700_000_000_000)
    const network = new MemoryNetwork({ latencyMs: 2, scheduler, seed: 9 })
    const sent: Array<{ from: string; to: string; content: FrameContent }> = []
    const meshes = Array.from({ length: 3 }, () => {
      const signer = generateSigner()
      const transport = recordingSends(network.createTransport(signer.ownerId), (to, content) =>
        sent.push({ from: signer.ownerId, to, content }),
      )
      return new Mesh({ transport, signer, scheduler, config })
    })
    await startWithOneInstanceEach(meshes)
    const settle = (ms: number) => advance(scheduler, ms, 5)
    await settle(100)
    const [a, b, c] = meshes as [Mesh, Mesh, Mesh]
    assert.deepEqual(counts(meshes, 'svc'), [3, 3, 3])

    sent.length = 0
    await a.syncWith(b.peerId)
    await settle(20)
    const opening = sent.filter((f) => f.from === a.peerId && f.to === b.peerId)
    assert.equal(opening.length, 1)
    assert.ok(opening[0]?.content.buckets !== undefined)
    assert.equal(opening[0]?.content.digest, undefined, 'no owner summaries in the opening')
    const answers = sent.filter((f) => f.from === b.peerId && f.to === a.peerId)
    assert.deepEqual(
      answers.map((f) => [
        f.content.gossip.length,
        f.content.digest?.owners.length,
        f.content.wantReply,
      ]),
      [[0, 0, false]],
      'one empty answer',
    )

    // b misses c's update; b's exchange with c names c's bucket and brings it.
    network.setLink(c.peerId, b.peerId, { loss: 1 })
    await c.register({ service: 'svc', id: '2', addresses: ['h:new'] })
    await settle(10)
    network.setLink(c.peerId, b.peerId, { loss: 0 })
    assert.equal(b.lookup('svc').find((x) => x.id === '2')?.addresses[0], 'h:2')
    sent.length = 0
    await b.syncWith(c.peerId)
    await settle(20)
    assert.equal(b.lookup('svc').find((x) => x.id === '2')?.addresses[0], 'h:new')
    const answer = sent.find((f) => f.from === c.peerId && f.content.digest?.covered !== undefined)
    assert.ok(answer !== undefined, 'c answered with the buckets that differ')
    assert.ok(answer.content.digest?.owners.some((o) => o.ownerId === c.peerId))
  })

  test('within the heartbeat capacity a full exchange opens with every owner’s summary', async () => {
    const scheduler = new VirtualScheduler(1_700_000_000_000)
    const network = new MemoryNetwork({ latencyMs: 2, scheduler, seed: 9 })
    const openings: FrameContent[] = []
    const meshes = Array.from({ length: 3 }, (_, i) => {
      const signer = generateSigner()
      const inner = network.createTransport(signer.ownerId)
      const transport =
        i === 0
          ? recordingSends(inner, (_to, content) => {
              if (content.wantReply) openings.push(content)
            })
          : inner
      return new Mesh({ transport, signer, scheduler, config: localMeshConfig() })
    })
    await startWithOneInstanceEach(meshes)
    await advance(scheduler, 100, 5)
    openings.length = 0
    const [a, b] = meshes as [Mesh, Mesh]
    await a.syncWith(b.peerId)
    assert.equal(openings.length, 1)
    assert.equal(openings[0]?.buckets, undefined)
    assert.equal(openings[0]?.digest?.partial, false)
    assert.equal(openings[0]?.digest?.owners.length, 3)
  })

  test('convergence survives 30% loss', async () => {
    // What is tested is repair of lost pushes by anti-entropy, not liveness under loss: with the
    // local TTL of six heartbeats, six lost in a row on one link (0.3^6 per window, about one
    // run in ten) expire an instance at one node until the next pull brings it back. Twelve
    // heartbeats per TTL make that negligible (0.3^12) without changing the exchange.
    const config = localMeshConfig({ defaultTtlMs: 3000 })
    const { scheduler, meshes } = await started(5, { loss: 0.3, config })
    for (const [i, mesh] of meshes.entries())
      await mesh.register({ service: 'svc', id: `${i}`, addresses: [`h:${i}`] })
    scheduler.advance(config.antiEntropyIntervalMs * 3)
    assert.deepEqual(counts(meshes, 'svc'), [5, 5, 5, 5, 5])
  })

  test('watch yields the snapshot first, then typed changes, and ends on abort', async () => {
    const { scheduler, meshes } = await started(2)
    const [a, b] = meshes as [Mesh, Mesh]
    await a.register({ service: 'web', id: 'w0', addresses: ['h:0'] })
    scheduler.advance(5)
    const controller = new AbortController()
    const watch = b.watch('web', { signal: controller.signal })
    const first = await watch.next()
    assert.equal((first.value as WatchEvent).type, 'snapshot')
    const h = await a.register({ service: 'web', id: 'w1', addresses: ['h:1'] })
    await a.register({ service: 'other', id: 'o', addresses: ['h:9'] })
    await h.deregister()
    scheduler.advance(5)
    const seen: string[] = []
    for (let i = 0; i < 2; i++) {
      const { value } = await watch.next()
      const event = value as WatchEvent
      seen.push(event.type === 'snapshot' ? 'snapshot' : `${event.type}:${event.instance.id}`)
    }
    assert.deepEqual(seen, ['created:w1', 'deleted:w1'])
    controller.abort()
    assert.equal((await watch.next()).done, true)
  })

  test('stop publishes tombstones before closing: peers see a delete, not an expiry', async () => {
    const { scheduler, meshes, run } = await started(2)
    const [a, b] = meshes as [Mesh, Mesh]
    await a.register({ service: 'web', id: 'w1', addresses: ['h:1'] })
    scheduler.advance(5)
    const types: string[] = []
    b.subscribe((changes) => types.push(...changes.map((c) => c.type)))
    await run(a.stop())
    assert.deepEqual(types, ['deleted'])
    assert.equal(b.lookup('web').length, 0)
    assert.deepEqual([a.stats().leaveConfirmed, a.stats().leaveUnconfirmed], [1, 0])
  })

  test('stop resends tombstones until each neighbour confirms: over links losing 30% of frames, every peer sees a delete', async () => {
    const config = localMeshConfig()
    let confirmedAcrossSeeds = 0
    for (let seed = 1; seed <= 20; seed++) {
      const { scheduler, network, nodes, run } = await startMemoryCluster(4, { seed, config })
      const [a, ...others] = nodes as [Mesh, ...Mesh[]]
      await a.register({ service: 'web', id: 'w1', addresses: ['h:1'] })
      await a.register({ service: 'api', id: 'a1', addresses: ['h:2'] })
      scheduler.advance(100)
      assert.deepEqual(
        others.map((m) => m.services().length),
        [2, 2, 2],
        `seed ${seed}: registered`,
      )
      const seen = others.map((m) => {
        const types: string[] = []
        m.subscribe((changes) => types.push(...changes.map((c) => c.type)))
        return types
      })
      for (const m of others) {
        network.setLink(a.peerId, m.peerId, { loss: 0.3 })
        network.setLink(m.peerId, a.peerId, { loss: 0.3 })
      }
      const began = scheduler.now()
      await run(a.stop())
      assert.ok(scheduler.now() - began <= config.leaveTimeoutMs + 20, `seed ${seed}: bounded`)
      assert.deepEqual(
        seen,
        [
          ['deleted', 'deleted'],
          ['deleted', 'deleted'],
          ['deleted', 'deleted'],
        ],
        `seed ${seed}`,
      )
      const { leaveConfirmed, leaveUnconfirmed } = a.stats()
      assert.equal(leaveConfirmed + leaveUnconfirmed, 3, `seed ${seed}: every neighbour counted`)
      confirmedAcrossSeeds += leaveConfirmed
    }
    // A round trip survives with probability 0.49; about 15 tries fit in the leave timeout.
    assert.ok(confirmedAcrossSeeds >= 57, `${confirmedAcrossSeeds} of 60 confirmed`)
  })

  test('stop gives up after leaveTimeoutMs when a neighbour’s answers are lost; it still got the tombstones', async () => {
    const { scheduler, network, meshes, run } = await started(2)
    const [a, b] = meshes as [Mesh, Mesh]
    await a.register({ service: 'web', id: 'w1', addresses: ['h:1'] })
    scheduler.advance(100)
    const types: string[] = []
    b.subscribe((changes) => types.push(...changes.map((c) => c.type)))
    network.setLink(b.peerId, a.peerId, { loss: 1 })
    const began = scheduler.now()
    await run(a.stop())
    const waited = scheduler.now() - began
    const { leaveTimeoutMs } = localMeshConfig()
    assert.ok(waited >= leaveTimeoutMs && waited <= leaveTimeoutMs + 20, `waited ${waited} ms`)
    assert.deepEqual([a.stats().leaveConfirmed, a.stats().leaveUnconfirmed], [0, 1])
    assert.deepEqual(types, ['deleted'])
  })

  test('nodes that stop together confirm each other: a leaving node still answers', async () => {
    const { scheduler, meshes, run } = await started(3)
    const [a, b, c] = meshes as [Mesh, Mesh, Mesh]
    await a.register({ service: 'web', id: 'w1', addresses: ['h:1'] })
    await b.register({ service: 'web', id: 'w2', addresses: ['h:2'] })
    scheduler.advance(100)
    const began = scheduler.now()
    await run(Promise.all([a.stop(), b.stop()]))
    assert.ok(scheduler.now() - began < localMeshConfig().leaveTimeoutMs, 'no timeout')
    assert.deepEqual([a.stats().leaveConfirmed, a.stats().leaveUnconfirmed], [2, 0])
    assert.deepEqual([b.stats().leaveConfirmed, b.stats().leaveUnconfirmed], [2, 0])
    assert.equal(c.lookup('web').length, 0)
  })

  test('a neighbour that disconnects while stop waits ends the wait for it at once', async () => {
    const { scheduler, network, meshes, run } = await started(2)
    const [a, b] = meshes as [Mesh, Mesh]
    await a.register({ service: 'web', id: 'w1', addresses: ['h:1'] })
    scheduler.advance(100)
    network.setLink(b.peerId, a.peerId, { loss: 1 })
    const began = scheduler.now()
    const stopped = a.stop()
    await flush()
    scheduler.advance(50)
    network.partition([a.peerId], [b.peerId])
    await run(stopped)
    assert.ok(scheduler.now() - began < localMeshConfig().leaveTimeoutMs, 'ended early')
    assert.deepEqual([a.stats().leaveConfirmed, a.stats().leaveUnconfirmed], [0, 0])
  })

  test('garbage frames are counted and dropped; the node keeps working', async () => {
    const { scheduler, network, meshes } = await started(2)
    const [a, b] = meshes as [Mesh, Mesh]
    const rogue = network.createTransport('rogue')
    await rogue.start({ onFrame: () => 'accept', onPeer: () => undefined })
    for (const bytes of [
      Uint8Array.of(1, 2, 3),
      new Uint8Array(0),
      Uint8Array.of(0x12, 0x05, 0x0a, 0x03, 0xff),
    ])
      await rogue.send(b.peerId, bytes)
    scheduler.advance(5)
    assert.ok(b.stats().framesRejected >= 2)
    await a.register({ service: 'web', id: 'w1', addresses: ['h:1'] })
    scheduler.advance(5)
    assert.equal(b.lookup('web').length, 1)
  })

  test('wrong arguments are named errors; another node’s instance cannot be deleted', async () => {
    const { scheduler, meshes } = await started(2)
    const [a, b] = meshes as [Mesh, Mesh]
    await assert.rejects(a.register(null as unknown as InstanceSpec), InvalidArgumentError)
    assert.throws(() => a.lookup(7 as unknown as string), InvalidArgumentError)
    const h = await a.register({ service: 'web', id: 'w1', addresses: ['h:1'] })
    scheduler.advance(5)
    await assert.rejects(b.deregister(h.key), OwnerMismatchError)
    assert.equal(await b.deregister('no such key'), false)
  })

  test('a restarted owner with the same identity replaces its old instances at once', async () => {
    const { scheduler, observer, second } = await restartedOwner()
    await second.register({ service: 'web', id: 'new', addresses: ['h:2'] })
    scheduler.advance(10)
    assert.deepEqual(
      observer.lookup('web').map((i) => i.id),
      ['new'],
    )
  })

  test('a restarted owner whose incarnation went backwards moves above its earlier run', async () => {
    // Its incarnation file lost while its clock is behind: every peer still ranks the earlier
    // run above it and would drop all it signs as stale, until it meets that run's statements.
    const { scheduler, observer, first, second } = await restartedOwner(-120_000n)
    await second.register({ service: 'web', id: 'new', addresses: ['h:2'] })
    const config = localMeshConfig()
    scheduler.advance(config.antiEntropyIntervalMs + config.heartbeatIntervalMs)
    assert.equal(second.stats().reincarnations, 1)
    assert.equal(second.owner.incarnation, first.owner.incarnation + 1n)
    for (const mesh of [observer, second])
      assert.deepEqual(
        mesh.lookup('web').map((i) => i.id),
        ['new'],
      )
  })
})

/**
 * An observer, an owner that registered `web/old` and crashed (its transport gone, no
 * tombstones), and the same identity started again: at the next incarnation, or at the earlier
 * run's plus `incarnationShift` when given.
 */
async function restartedOwner(incarnationShift?: bigint) {
  const scheduler = new VirtualScheduler(1_700_000_000_000)
  const network = new MemoryNetwork({ scheduler, latencyMs: 1 })
  const signer = generateSigner()
  const observerSigner = generateSigner()
  const observer = new Mesh({
    transport: network.createTransport(observerSigner.ownerId),
    signer: observerSigner,
    scheduler,
    config: localMeshConfig(),
  })
  await observer.start()
  const first = new Mesh({
    transport: network.createTransport(signer.ownerId),
    signer,
    scheduler,
    config: localMeshConfig(),
  })
  await first.start()
  await first.register({ service: 'web', id: 'old', addresses: ['h:1'] })
  scheduler.advance(10)
  await first.transport.stop()
  scheduler.advance(10)
  const second = new Mesh({
    transport: network.createTransport(`${signer.ownerId}#2`),
    signer,
    scheduler,
    config: localMeshConfig(),
    ...(incarnationShift === undefined
      ? {}
      : { incarnation: first.owner.incarnation + incarnationShift }),
  })
  await second.start()
  return { scheduler, observer, first, second }
}

/** A transport that records the digests of the anti-entropy requests it sends. */
/** Starts the meshes and registers one instance of 'svc' on each. */
async function startWithOneInstanceEach(meshes: readonly Mesh[]): Promise<void> {
  for (const mesh of meshes) await mesh.start()
  for (const [i, mesh] of meshes.entries())
    await mesh.register({ service: 'svc', id: `${i}`, addresses: [`h:${i}`] })
}

/** Advances virtual time by `ms` in steps, running what the transport delivers at each. */
async function advance(scheduler: VirtualScheduler, ms: number, stepMs: number): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    scheduler.advance(stepMs)
    await flush()
  }
}

/** The transport, telling `onSend` what each frame it sends to one peer holds. */
function recordingSends(
  inner: Transport,
  onSend: (to: string, content: FrameContent) => void,
): Transport {
  return {
    localPeer: inner.localPeer,
    start: (handlers) => inner.start(handlers),
    broadcast: (frame) => inner.broadcast(frame),
    send: (peer, frame) => {
      onSend(peer, decodeFrame(frame, DEFAULT_LIMITS))
      return inner.send(peer, frame)
    },
    peers: () => inner.peers(),
    stop: () => inner.stop(),
  }
}
