import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type NetworkOptions, SimNetwork } from '../../sim/network.ts'
import { EventQueue } from '../../sim/queue.ts'
import { TraceHash } from '../../sim/trace.ts'
import type { PeerEvent } from '../../src/membership/transport.ts'
import { seededRandom } from '../../src/util/random.ts'

const OPTIONS: NetworkOptions = {
  latency: { dist: 'fixed', ms: 5 },
  loss: 0,
  duplication: 0,
  latencySpread: 0,
  overlayDegree: 8,
  detectMs: 100,
  tickMs: 1,
}

interface Harness {
  queue: EventQueue
  network: SimNetwork
  received: Array<[number, string, number]>
  peerEvents: Array<[number, PeerEvent]>
  transports: Awaited<ReturnType<SimNetwork['createTransport']>>[]
  run: (until: number) => void
}

async function harness(nodes: number, options: Partial<NetworkOptions> = {}): Promise<Harness> {
  const queue = new EventQueue(0)
  const network = new SimNetwork(queue, new TraceHash(), seededRandom(1), {
    ...OPTIONS,
    ...options,
  })
  const received: Array<[number, string, number]> = []
  const peerEvents: Array<[number, PeerEvent]> = []
  const transports = []
  for (let i = 0; i < nodes; i++) {
    const slot = network.addSlot()
    const transport = network.createTransport(slot, `p${slot}`)
    await transport.start({
      onFrame: (from, frame) => {
        received.push([slot, from, frame[0] as number])
        return 'accept'
      },
      onPeer: (event) => peerEvents.push([slot, event]),
    })
    transports.push(transport)
  }
  const run = (until: number) => {
    for (let t = queue.nextTime(); t !== undefined && t <= until; t = queue.nextTime())
      queue.runNext()
  }
  run(200)
  return { queue, network, received, peerEvents, transports, run }
}

test('connections come up after detectMs and a broadcast reaches every other node once, after the latency', async () => {
  const h = await harness(4)
  assert.equal(h.peerEvents.filter(([, e]) => e.type === 'connected').length, 12)
  const sentAt = h.queue.now
  await h.transports[0]?.broadcast(Uint8Array.of(7))
  h.run(sentAt + 4)
  assert.equal(h.received.length, 0)
  h.run(sentAt + 5)
  assert.deepEqual(
    h.received.map(([slot]) => slot),
    [1, 2, 3],
  )
})

test('a partition drops frames at once and disconnects after detection; heal reconnects', async () => {
  const h = await harness(4)
  h.network.partition([[0, 1]])
  await h.transports[0]?.send('p2', Uint8Array.of(1))
  h.run(250)
  assert.equal(h.received.length, 0, 'frames across the cut are lost')
  assert.deepEqual(h.transports[0]?.peers(), ['p1'])
  await assert.rejects(h.transports[0]?.send('p3', Uint8Array.of(1)) as Promise<void>)
  h.network.heal()
  h.run(500)
  assert.deepEqual(h.transports[0]?.peers().sort(), ['p1', 'p2', 'p3'])
})

test('a one-way cut loses one direction only until connections notice it', async () => {
  const h = await harness(2)
  h.network.oneWay([0], [1])
  await h.transports[0]?.send('p1', Uint8Array.of(1))
  await h.transports[1]?.send('p0', Uint8Array.of(2))
  h.run(210)
  assert.deepEqual(h.received, [[0, 'p1', 2]])
  h.run(400)
  assert.deepEqual(h.transports[1]?.peers(), [])
})

test('loss and duplication follow their probabilities', async () => {
  const h = await harness(2, { loss: 0.3, duplication: 0.5 })
  for (let i = 0; i < 1000; i++) await h.transports[0]?.send('p1', Uint8Array.of(1))
  h.run(1000)
  const c = h.network.counters
  assert.ok(c.dropped > 230 && c.dropped < 370, `dropped ${c.dropped}`)
  assert.ok(c.duplicated > 280 && c.duplicated < 420, `duplicated ${c.duplicated}`)
  assert.equal(h.received.length, 1000 - c.dropped + c.duplicated)
})

test('a detached (crashed) node gets nothing in flight and its neighbours see it disconnect', async () => {
  const h = await harness(3)
  await h.transports[0]?.broadcast(Uint8Array.of(3))
  h.network.detach(2)
  h.run(400)
  assert.deepEqual(
    h.received.map(([slot]) => slot),
    [1],
  )
  assert.ok(
    h.peerEvents.some(([slot, e]) => slot === 0 && e.type === 'disconnected' && e.peer === 'p2'),
  )
})
