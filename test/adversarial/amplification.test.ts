/**
 * Digest amplification: a hostile member repeating tiny anti-entropy requests on the sync
 * protocol gets answers within its reply budget, not one whole-state answer per request.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { encodeFrame } from '../../src/membership/frame.ts'
import { type Cluster, honestCluster, hostileMember, until } from './hostile.ts'

const BURST = 64 * 1024
const REQUESTS = 400

describe('adversarial: digest amplification', () => {
  let cluster: Cluster

  before(async () => {
    cluster = await honestCluster({ replyBurstBytes: BURST, replyBytesPerSecond: 16 * 1024 })
    // State worth answering: each whole-state answer is a few kilobytes.
    for (let i = 0; i < 20; i++)
      await cluster.a.register({ service: 'bulk', id: `i${i}`, addresses: ['127.0.0.1:9'] })
  })

  after(async () => {
    await Promise.all(cluster.nodes.map((n) => n.stop()))
  })

  it('tiny digests asking for everything are answered within the per-peer budget, the rest refused and counted', async () => {
    const { a } = cluster
    const h = await hostileMember(cluster)
    const ask = encodeFrame({ gossip: [], digest: { owners: [], partial: false }, wantReply: true })
    const before = a.stats()
    for (let i = 0; i < REQUESTS; i++) await h.send(ask)
    // Frames on one stream are handled in order: once the sentinel is in, every request was.
    const sentinel = h.owner.register({ service: 'sentinel', id: 's', addresses: [] }, Date.now())
    await h.send(
      encodeFrame({ gossip: [{ statement: sentinel.signed, ageMs: 0 }], wantReply: false }),
    )
    await until(() => a.lookup('sentinel').length === 1, 'the sentinel after the requests')
    const sent = a.stats().bytesSent - before.bytesSent
    const asked = REQUESTS * ask.byteLength
    assert.ok(a.stats().answersRefused - before.answersRefused > REQUESTS / 2)
    // Within the burst, one answer of debt, and the refill over the test, plus honest traffic.
    assert.ok(sent < 3 * BURST, `${sent} bytes answered to ${asked} bytes asked`)
  })
})
