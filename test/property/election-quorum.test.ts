/**
 * Property (quorum mode): two instances of one service never hold overlapping leases, over
 * generated partitions, crashes, clock offsets (up to ±1 h) and drifts within the configured bound.
 *
 * A lease is the interval, in shared (true) time, from an owner's `promoted` event to its
 * `demoted` event: what a process that starts work on standby() and stops on demoted() holds.
 * The property also samples `amILeader()` on every node every 50 ms: at most one owner may
 * believe it leads at any instant.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import fc from 'fast-check'
import { type SimNode, startCluster } from '../election/cluster.ts'
import { clusterBase, linkArbs, offsetsArb } from './election-scenarios.ts'

interface Lease {
  readonly key: string
  readonly start: number
  end: number
}

type Action =
  | { kind: 'partition'; groups: number[]; waitMs: number }
  | { kind: 'heal'; waitMs: number }
  | { kind: 'crash'; node: number; waitMs: number }

const waitArb = fc.integer({ min: 0, max: 4000 })
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('partition' as const),
      groups: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 5, maxLength: 5 }),
      waitMs: waitArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('heal' as const), waitMs: waitArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('crash' as const), node: fc.nat(4), waitMs: waitArb }),
  },
)

const scenarioArb = fc
  .record({
    size: fc.integer({ min: 3, max: 5 }),
    ...linkArbs,
    driftBound: fc.constantFrom(0, 0.001, 0.01, 0.05, 0.1),
    offsets: offsetsArb(3_600_000),
    /** Drift of each node as a fraction of the bound, in [-1, 1]. */
    drifts: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
    /** When each node registers, ms after start; on a 100 ms grid so that some coincide. */
    registerAt: fc.array(
      fc.integer({ min: 0, max: 30 }).map((x) => x * 100),
      { minLength: 5, maxLength: 5 },
    ),
    actions: fc.array(actionArb, { minLength: 1, maxLength: 6 }),
  })
  .map((s) => ({
    ...s,
    skews: s.offsets.map((offsetMs, i) => ({
      offsetMs,
      driftRatio: (s.drifts[i] ?? 0) * s.driftBound,
    })),
  }))

const SAMPLE_MS = 50

/**
 * Found by a random run: the leader's owner (node 2, clock 1 % slow) is cut off for less than
 * the liveness window, keeps its lease and rejoins nodes 0 and 1; node 3 expired the leader's
 * record just before being isolated itself, and still counted 0 and 1 as its majority when the
 * expiry's handover block ended.
 */
const staleMajorityAfterExpiry = {
  size: 5,
  seed: 0,
  latencyMs: 1,
  jitterMs: 0,
  driftBound: 0.01 as const,
  offsets: [0, 0, -2071, 5, 0],
  drifts: [0, 0, -0.9900917730641223, 0, 0],
  registerAt: [500, 500, 2500, 400, 0],
  actions: [
    { kind: 'crash' as const, node: 4, waitMs: 174 },
    { kind: 'heal' as const, waitMs: 1687 },
    { kind: 'heal' as const, waitMs: 3397 },
    { kind: 'partition' as const, groups: [1, 1, 0, 1, 0], waitMs: 1493 },
    { kind: 'partition' as const, groups: [0, 0, 0, 1, 0], waitMs: 0 },
  ],
  skews: [0, 0, -2071, 5, 0].map((offsetMs, i) => ({
    offsetMs,
    driftRatio: i === 2 ? -0.009900917730641223 : 0,
  })),
}

const concurrentFirstRegistrations = {
  size: 3,
  seed: 0,
  latencyMs: 1,
  jitterMs: 0,
  driftBound: 0 as const,
  offsets: [0, 0, 0, 0, 0],
  drifts: [0, 0, 0, 0, 0],
  registerAt: [2676, 2676, 2676, 0, 0],
  actions: [{ kind: 'partition' as const, groups: [0, 0, 0, 0, 0], waitMs: 0 }],
  skews: [0, 0, 0, 0, 0].map(() => ({ offsetMs: 0, driftRatio: 0 })),
}

it('two instances of a service never hold overlapping leases in quorum mode', async () => {
  let runsWithLeader = 0
  let runsWithHandover = 0
  let runs = 0
  await fc.assert(
    fc.asyncProperty(scenarioArb, async (s) => {
      const cluster = await startCluster({
        ...clusterBase(s),
        skews: s.skews,
        election: { quorum: { expectedNodes: s.size, maxClockDriftRatio: s.driftBound } },
      })
      const leases: Lease[] = []
      const open = new Map<string, Lease>()
      for (const node of cluster.nodes) {
        node.election.subscribe((event) => {
          if (event.service !== 'svc') return
          const key = event.type === 'leader' ? undefined : event.leadership.instance.key
          if (event.type === 'promoted' && key !== undefined) {
            const lease = { key, start: cluster.now, end: Number.POSITIVE_INFINITY }
            open.set(key, lease)
            leases.push(lease)
          } else if (event.type === 'demoted' && key !== undefined) {
            const lease = open.get(key)
            if (lease !== undefined) lease.end = cluster.now
            open.delete(key)
          }
        })
      }
      const sample = (): void => {
        const believers = cluster
          .live()
          .filter((n: SimNode) => {
            const handle = n.handles.get('svc')
            return handle !== undefined && n.election.amILeader(handle)
          })
          .map((n) => n.index)
        assert.ok(believers.length <= 1, `nodes ${believers} all lead at ${cluster.now}`)
      }
      const run = async (ms: number): Promise<void> => {
        for (let t = 0; t < ms; t += SAMPLE_MS) {
          await cluster.advance(Math.min(SAMPLE_MS, ms - t))
          sample()
        }
      }
      try {
        const order = cluster.nodes.map((n) => n.index)
        order.sort((a, b) => (s.registerAt[a] ?? 0) - (s.registerAt[b] ?? 0))
        let elapsed = 0
        for (const index of order) {
          const at = s.registerAt[index] ?? 0
          await run(at - elapsed)
          elapsed = at
          await cluster.register(cluster.nodes[index] as SimNode, 'svc')
        }
        for (const action of s.actions) {
          if (action.kind === 'partition') {
            cluster.partition(
              [0, 1, 2].map((g) =>
                cluster.nodes.filter((n) => action.groups[n.index] === g).map((n) => n.index),
              ),
            )
          } else if (action.kind === 'heal') {
            cluster.heal()
          } else {
            const node = cluster.nodes[action.node % s.size] as SimNode
            if (!node.crashed) await cluster.crash(node)
          }
          await run(action.waitMs)
        }
        await run(5000)
      } finally {
        await cluster.stop()
      }
      for (const [i, a] of leases.entries()) {
        for (const b of leases.slice(i + 1)) {
          if (a.key === b.key) continue
          const overlap = a.start < b.end && b.start < a.end
          assert.ok(!overlap, `leases overlap: ${JSON.stringify([a, b])}`)
        }
      }
      runs++
      if (leases.length > 0) runsWithLeader++
      if (new Set(leases.map((l) => l.key)).size > 1) runsWithHandover++
    }),
    {
      numRuns: 200,
      includeErrorInReport: true,
      // Found by earlier runs: concurrent first registrations, each owner naming its own at
      // once; a majority counted stale when an expiry's handover ended.
      examples: [[concurrentFirstRegistrations], [staleMajorityAfterExpiry]],
    },
  )
  assert.ok(runsWithLeader > runs / 2, `only ${runsWithLeader} of ${runs} runs named a leader`)
  assert.ok(runsWithHandover > runs / 10, `only ${runsWithHandover} of ${runs} runs handed over`)
})
