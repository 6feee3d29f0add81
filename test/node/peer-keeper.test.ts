/**
 * The dial policy of peer-keeper.ts: degree up to the target, plus one probe of a peer the mesh
 * cannot hear. Randomness is injected, so every case is exact; the last one runs many seeds.
 * Then real nodes on loopback: a peer that comes up after its neighbour reached its degree is
 * still dialled (the probe), and a cluster joined through one hub keeps a small degree.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { createNode, type GossipNode } from '../../src/node/index.ts'
import { type DialSituation, peersToDial } from '../../src/node/peer-keeper.ts'
import { withDeadline } from '../helpers/deadline.ts'

const peers = (n: number): string[] => Array.from({ length: n }, (_, i) => `p${i}`)
const first = (): number => 0
const everyoneHeard = (): boolean => true

/** The peers to dial for ten unconnected peers, no connection, a target of 6, with `changes`. */
const dialsFor = (changes: Partial<DialSituation>): string[] =>
  peersToDial({
    unconnected: peers(10),
    connections: 0,
    targetPeers: 6,
    meshStarved: false,
    reachable: everyoneHeard,
    randomBelow: first,
    ...changes,
  })

describe('peersToDial', () => {
  test('below the target it dials as many peers as are missing, no more', () => {
    const dial = dialsFor({ connections: 2 })
    assert.equal(dial.length, 4)
    assert.equal(new Set(dial).size, 4)
  })

  test('at the target it dials nobody the mesh hears', () => {
    const dial = dialsFor({ connections: 6 })
    assert.deepEqual(dial, [])
  })

  test('at the target it still probes one peer the mesh cannot hear (the far side of a partition)', () => {
    const unheard = new Set(['p3', 'p7'])
    const dial = dialsFor({
      connections: 9,
      reachable: (peer) => !unheard.has(peer),
      randomBelow: (below) => below - 1,
    })
    assert.deepEqual(dial, ['p7'])
  })

  test('at the target it dials one more while the gossipsub mesh is starved', () => {
    const dial = dialsFor({ connections: 8, meshStarved: true })
    assert.equal(dial.length, 1)
  })

  test('with fewer peers known than missing it dials them all, once each', () => {
    const dial = dialsFor({ unconnected: peers(3), reachable: () => false })
    assert.deepEqual([...dial].sort(), ['p0', 'p1', 'p2'])
  })

  test('the probe is never a peer already picked for the degree', () => {
    for (let seed = 1; seed <= 200; seed++) {
      let state = seed
      const randomBelow = (below: number): number => {
        state = (state * 1_103_515_245 + 12_345) % 2 ** 31
        return state % below
      }
      const unconnected = peers(1 + (seed % 9))
      const dial = dialsFor({
        unconnected,
        connections: seed % 7,
        meshStarved: seed % 3 === 0,
        reachable: (peer) => Number(peer.slice(1)) % 2 === 0,
        randomBelow,
      })
      const missing = Math.max(seed % 3 === 0 ? 1 : 0, 6 - (seed % 7))
      const degreeDials = Math.min(missing, unconnected.length)
      assert.equal(new Set(dial).size, dial.length, `seed ${seed}: a peer twice`)
      assert.ok(dial.length === degreeDials || dial.length === degreeDials + 1, `seed ${seed}`)
      for (const peer of dial) assert.ok(unconnected.includes(peer), `seed ${seed}: ${peer}`)
    }
  })
})

const LOOPBACK = { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, preset: 'local' as const }

/** Resolves once `node` holds an instance owned by `owner`. */
function holdsInstanceOf(node: GossipNode, owner: string, what: string): Promise<void> {
  const holds = () => node.services().some((i) => i.owner === owner)
  return withDeadline(
    new Promise<void>((resolve) => {
      if (holds()) return resolve()
      const off = node.subscribe(() => {
        if (!holds()) return
        off()
        resolve()
      })
    }),
    10_000,
    what,
  )
}

describe('peer keeper on real nodes', () => {
  const nodes: GossipNode[] = []
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)))
  })
  const start = async (options: Parameters<typeof createNode>[0]): Promise<GossipNode> => {
    const node = await createNode(options)
    nodes.push(node)
    return node
  }

  test('a known peer the mesh cannot hear is dialled even at full degree', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gossip-sd-keeper-'))
    try {
      const keyFile = join(dir, 'late.key')
      // Learn the late peer's identity and address, then take it down.
      const first = await createNode({ ...LOOPBACK, keyFile })
      const lateAddress = first.addresses()[0] as string
      await first.stop()
      const tuning = { targetPeers: 1, redialIntervalMs: 100 }
      // a knows the late peer (its bootstrap list) but cannot reach it; b gives a its one link.
      const a = await start({ ...LOOPBACK, libp2p: tuning, bootstrap: [lateAddress] })
      const b = await start({
        ...LOOPBACK,
        libp2p: tuning,
        bootstrap: [a.addresses()[0] as string],
      })
      await a.register({ service: 'keeper', id: 'a', addresses: ['127.0.0.1:1'] })
      await holdsInstanceOf(b, a.peerId, 'b holds a')
      assert.equal(a.peers().length, 1, 'a is at its degree before the late peer starts')
      // The late peer comes back knowing nobody: only a's probe can connect the two.
      const late = await start({
        ...LOOPBACK,
        listen: [lateAddress.replace(/\/p2p\/.*/, '')],
        keyFile,
        libp2p: tuning,
      })
      await late.register({ service: 'keeper', id: 'late', addresses: ['127.0.0.1:2'] })
      await holdsInstanceOf(late, a.peerId, 'the late peer holds a')
      await holdsInstanceOf(b, late.peerId, 'b holds the late peer')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('twelve nodes joined through one hub keep a small degree and converge', async () => {
    const hub = await start(LOOPBACK)
    const hubAddress = hub.addresses()[0] as string
    const rest: GossipNode[] = []
    for (let i = 0; i < 11; i++) rest.push(await start({ ...LOOPBACK, bootstrap: [hubAddress] }))
    const all = [hub, ...rest]
    await Promise.all(
      all.map((n, i) => n.register({ service: 'hubbed', id: `n${i}`, addresses: ['127.0.0.1:3'] })),
    )
    await Promise.all(
      all.flatMap((n) =>
        all.map((m) => holdsInstanceOf(n, m.peerId, `${n.peerId} holds ${m.peerId}`)),
      ),
    )
    // Every leaf dials at most its target of 3 (peer exchange included) and accepts a few more;
    // the old keeper, and gossipsub's peer exchange of 16, connected nearly everyone to everyone.
    const degrees = rest.map((n) => n.peers().length)
    const mean = degrees.reduce((x, y) => x + y, 0) / degrees.length
    assert.ok(mean <= 6, `leaves' mean degree ${mean} (${degrees.join(' ')})`)
  })
})
