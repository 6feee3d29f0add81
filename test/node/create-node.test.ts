/**
 * createNode in-process: two nodes on 127.0.0.1 (mDNS off) find each other by bootstrap and
 * exchange changes; stop() sends tombstones and waits for the peer to confirm them; key files keep the identity and
 * raise the incarnation; bad options throw named errors; bad frames on the sync protocol are
 * counted and dropped.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { WatchEvent } from '../../src/contract.ts'
import { packFrames } from '../../src/membership/frame.ts'
import { meshOf } from '../../src/node/gossip-node.ts'
import { createNode, type GossipNode, InvalidNodeOptionError } from '../../src/node/index.ts'
import { withDeadline } from '../helpers/deadline.ts'

const LOOPBACK = { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, preset: 'local' as const }
const MS = 5000

/** The next watch event matching `match`, skipping others, within the deadline. */
async function nextMatching(
  watch: AsyncIterableIterator<WatchEvent>,
  match: (e: WatchEvent) => boolean,
  what: string,
): Promise<WatchEvent> {
  const find = async (): Promise<WatchEvent> => {
    for (;;) {
      const { value, done } = await watch.next()
      if (done === true) throw new Error(`watch ended before ${what}`)
      if (match(value)) return value
    }
  }
  return withDeadline(find(), MS, what)
}

function connected(node: GossipNode, peer: string): Promise<void> {
  if (node.peers().includes(peer)) return Promise.resolve()
  return withDeadline(
    new Promise<void>((resolve) => {
      const off = node.onPeerEvent((e) => {
        if (e.type === 'connected' && e.peer === peer) {
          off()
          resolve()
        }
      })
    }),
    MS,
    `connection to ${peer}`,
  )
}

describe('createNode', () => {
  let dir: string
  const nodes: GossipNode[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossip-sd-node-'))
  })

  after(async () => {
    await Promise.allSettled(nodes.map((n) => n.stop()))
    await rm(dir, { recursive: true, force: true })
  })

  async function start(options: Parameters<typeof createNode>[0]): Promise<GossipNode> {
    const node = await createNode({ ...LOOPBACK, ...options })
    nodes.push(node)
    return node
  }

  it('joins by bootstrap, spreads changes, and stop() delivers tombstones before closing', async () => {
    const a = await start({})
    assert.match(a.addresses()[0] as string, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3/)
    const b = await start({ bootstrap: a.addresses() })
    await connected(b, a.peerId)
    const watch = b.watch('web')
    assert.deepEqual(await nextMatching(watch, () => true, 'snapshot'), {
      type: 'snapshot',
      instances: [],
    })
    const handle = await a.register({ service: 'web', id: '1', addresses: ['127.0.0.1:80'] })
    await nextMatching(
      watch,
      (e) => e.type === 'created' && e.instance.key === handle.key,
      'created',
    )
    await handle.update({ addresses: ['127.0.0.1:81'] })
    const updated = await nextMatching(watch, (e) => e.type === 'updated', 'updated')
    assert.deepEqual(updated.type === 'updated' && updated.instance.addresses, ['127.0.0.1:81'])
    await a.stop()
    assert.deepEqual([a.stats().leaveConfirmed, a.stats().leaveUnconfirmed], [1, 0])
    await nextMatching(
      watch,
      (e) => e.type === 'deleted' && e.instance.key === handle.key,
      'deleted',
    )
    assert.equal(b.stats().rejected.ERR_MALFORMED, 0)
    watch.return?.()
  })

  it('keeps its peer ID in the key file (mode 0600) and raises the incarnation on restart', async () => {
    const keyFile = join(dir, 'node.key')
    const first = await start({ keyFile })
    const firstIncarnation = meshOf(first).owner.incarnation
    await first.stop()
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600)
    const second = await start({ keyFile })
    assert.equal(second.peerId, first.peerId)
    assert.ok(meshOf(second).owner.incarnation > firstIncarnation)
    assert.equal(
      (await readFile(`${keyFile}.incarnation`, 'utf8')).trim(),
      String(meshOf(second).owner.incarnation),
    )
    await second.stop()
  })

  it('rejects bad options with InvalidNodeOptionError before opening anything', async () => {
    const pskFile = join(dir, 'bad.key')
    await writeFile(pskFile, 'not a swarm key')
    const keyFile = join(dir, 'garbage.key')
    await writeFile(keyFile, 'garbage')
    const bad: Array<[string, Parameters<typeof createNode>[0]]> = [
      ['cluster', { cluster: 'has space' }],
      ['bootstrap', { bootstrap: ['/ip4/127.0.0.1/tcp/1'] }],
      ['listen', { listen: ['not-a-multiaddr'] }],
      ['preset', { preset: 'moon' as never }],
      ['pskFile', { pskFile }],
      ['pskFile', { pskFile: join(dir, 'missing.key') }],
      ['keyFile', { keyFile }],
      ['psk', { psk: new Uint8Array(3), pskFile }],
    ]
    for (const [option, options] of bad) {
      await assert.rejects(
        createNode({ ...LOOPBACK, ...options }),
        (err: unknown) => err instanceof InvalidNodeOptionError && err.option === option,
        `option ${option}`,
      )
    }
  })

  it('counts and drops malformed and oversized frames on the sync protocol, and keeps working', async () => {
    const receiver = await start({ config: { limits: { maxFrameBytes: 4096 } } })
    const sender = await start({ bootstrap: receiver.addresses() })
    await connected(sender, receiver.peerId)
    await connected(receiver, sender.peerId)
    const watch = receiver.watch('probe')
    await nextMatching(watch, (e) => e.type === 'snapshot', 'snapshot')
    const transport = meshOf(sender).transport
    const before = receiver.stats()

    // Garbage, then a valid frame on the same stream: once the valid one is applied, the
    // garbage before it has been handled.
    await transport.send(receiver.peerId, new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]))
    const statement = meshOf(sender).owner.register(
      { service: 'probe', id: 'one', addresses: ['127.0.0.1:1'] },
      Date.now(),
    )
    const [frame] = packFrames([{ statement, refreshedAt: Date.now() }], Date.now(), 4096)
    await transport.send(receiver.peerId, frame as Uint8Array)
    await nextMatching(watch, (e) => e.type === 'created', 'probe/one after garbage')
    assert.equal(receiver.stats().framesRejected, before.framesRejected + 1)
    assert.equal(receiver.stats().rejected.ERR_MALFORMED, before.rejected.ERR_MALFORMED + 1)

    // A frame over the receiver's limit: the stream is aborted before the body is read.
    await transport.send(receiver.peerId, new Uint8Array(5000)).catch(() => undefined)
    await sender.register({ service: 'probe', id: 'two', addresses: ['127.0.0.1:2'] })
    await nextMatching(
      watch,
      (e) => e.type === 'created' && e.instance.id === 'two',
      'probe/two after the oversized frame',
    )
    assert.equal(receiver.stats().transport.oversizeFrames, 1)
    watch.return?.()
  })
})
