import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { MemoryNetwork } from '../../src/memory/memory.ts'
import { VirtualScheduler } from '../../src/mesh/scheduler.ts'
import { Inbox, type TransportHarness, transportCompliance } from '../compliance/transport.ts'

async function memoryHarness(
  size: number,
  options: ConstructorParameters<typeof MemoryNetwork>[0] = {},
): Promise<TransportHarness & { network: MemoryNetwork; scheduler: VirtualScheduler }> {
  const scheduler = new VirtualScheduler()
  const network = new MemoryNetwork({ latencyMs: 1, ...options, scheduler })
  const transports = Array.from({ length: size }, (_, i) => network.createTransport(`peer-${i}`))
  const inboxes = transports.map(() => new Inbox())
  for (const [i, t] of transports.entries()) {
    const inbox = inboxes[i] as Inbox
    await t.start({
      onFrame: (from, frame) => {
        inbox.record({ from, frame })
        return 'accept'
      },
      onPeer: (e) => inbox.recordPeer(e),
    })
  }
  return {
    network,
    scheduler,
    transports,
    inboxes,
    async drive<T>(promise: Promise<T>): Promise<T> {
      let settled = false
      const tracked = promise.finally(() => {
        settled = true
      })
      for (let steps = 0; !settled; steps++) {
        await new Promise<void>((resolve) => queueMicrotask(resolve))
        if (settled) break
        if (!scheduler.step()) await Promise.resolve()
        assert.ok(steps < 100_000, 'virtual time ran out before the event')
      }
      return tracked
    },
    close: async () => {
      for (const t of transports) await t.stop()
    },
  }
}

transportCompliance('in-memory network', (size) => memoryHarness(size))

describe('in-memory network controls', () => {
  const textOf = (b: Uint8Array) => new TextDecoder().decode(b)
  const frame = (s: string) => new TextEncoder().encode(s)

  test('latency delays delivery by the configured time', async () => {
    const h = await memoryHarness(2, { latencyMs: 40 })
    h.scheduler.advance(1)
    await h.transports[0]?.send('peer-1', frame('x'))
    h.scheduler.advance(39)
    assert.equal(h.inboxes[1]?.frames.length, 0)
    h.scheduler.advance(1)
    assert.equal(h.inboxes[1]?.frames.length, 1)
  })

  test('loss drops about the configured share of frames, deterministically per seed', async () => {
    const run = async () => {
      const h = await memoryHarness(2, { loss: 0.3, seed: 9 })
      h.scheduler.advance(1)
      for (let i = 0; i < 1000; i++) await h.transports[0]?.send('peer-1', frame(String(i)))
      h.scheduler.advance(10)
      return h.inboxes[1]?.frames.map((f) => textOf(f.frame)) ?? []
    }
    const first = await run()
    assert.ok(first.length > 620 && first.length < 780, `${first.length} of 1000 delivered`)
    assert.deepEqual(await run(), first)
  })

  test('duplication delivers some frames twice; jitter reorders', async () => {
    const h = await memoryHarness(2, { duplication: 0.5, jitterMs: 20, seed: 4 })
    h.scheduler.advance(1)
    for (let i = 0; i < 200; i++) await h.transports[0]?.send('peer-1', frame(String(i)))
    h.scheduler.advance(100)
    const got = h.inboxes[1]?.frames.map((f) => Number(textOf(f.frame))) ?? []
    assert.ok(got.length > 250, `${got.length} deliveries`)
    assert.notDeepEqual(
      got,
      [...got].sort((x, y) => x - y),
    )
  })

  test('partitions cut links both ways and emit events; heal restores them', async () => {
    const h = await memoryHarness(3)
    h.scheduler.advance(1)
    h.network.partition(['peer-0'], ['peer-1', 'peer-2'])
    h.scheduler.advance(1)
    assert.deepEqual(h.transports[0]?.peers(), [])
    assert.deepEqual(h.transports[1]?.peers(), ['peer-2'])
    await assert.rejects(
      h.transports[0]?.send('peer-1', frame('x')) as Promise<void>,
      /not reachable/,
    )
    assert.ok(
      h.inboxes[1]?.peerEvents.some((e) => e.type === 'disconnected' && e.peer === 'peer-0'),
    )
    h.network.heal()
    h.scheduler.advance(1)
    assert.equal(h.transports[0]?.peers().length, 2)
    assert.equal(h.inboxes[0]?.peerEvents.filter((e) => e.type === 'connected').length, 4)
  })

  test('a one-way block loses frames in that direction only', async () => {
    const h = await memoryHarness(2)
    h.scheduler.advance(1)
    h.network.block('peer-0', 'peer-1')
    h.network.deliver('peer-0', 'peer-1', frame('lost'), 'direct')
    h.network.deliver('peer-1', 'peer-0', frame('kept'), 'direct')
    h.scheduler.advance(5)
    assert.equal(h.inboxes[1]?.frames.length, 0)
    assert.deepEqual(
      h.inboxes[0]?.frames.map((f) => textOf(f.frame)),
      ['kept'],
    )
    h.network.unblock('peer-0', 'peer-1')
    h.scheduler.advance(1)
    assert.deepEqual(h.transports[0]?.peers(), ['peer-1'])
  })
})
