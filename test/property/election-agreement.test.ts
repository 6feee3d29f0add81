/**
 * Property: after convergence, every connected component has exactly one leader per service,
 * and every node of the component names it, over generated latencies, clock offsets,
 * registrations, partitions, heals and crashes. In quorum mode the same holds for a component
 * with a majority of the expected nodes, and a smaller one names no leader at all.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import fc from 'fast-check'
import {
  DEFAULT_CHECK_INTERVAL_MS,
  DEFAULT_MAX_CLOCK_DRIFT_RATIO,
} from '../../src/election/options.ts'
import { handoverDelayMs, majorityOf } from '../../src/election/quorum.ts'
import { leaderOf } from '../../src/election/rules.ts'
import type { Instance } from '../../src/membership/types.ts'
import { type Cluster, type SimNode, startCluster } from '../election/cluster.ts'
import { clusterBase, linkArbs, offsetsArb } from './election-scenarios.ts'

const SERVICES = ['svc', 'db'] as const
const DRIFT = { maxClockDriftRatio: DEFAULT_MAX_CLOCK_DRIFT_RATIO }

type Action =
  | { kind: 'partition'; groups: number[]; waitMs: number }
  | { kind: 'heal'; waitMs: number }
  | { kind: 'crash'; node: number; waitMs: number }

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant('partition' as const),
    groups: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 5, maxLength: 5 }),
    waitMs: fc.integer({ min: 0, max: 3000 }),
  }),
  fc.record({ kind: fc.constant('heal' as const), waitMs: fc.integer({ min: 0, max: 3000 }) }),
  fc.record({
    kind: fc.constant('crash' as const),
    node: fc.nat(4),
    waitMs: fc.integer({ min: 0, max: 3000 }),
  }),
)

const scenarioArb = fc.record({
  size: fc.integer({ min: 2, max: 5 }),
  ...linkArbs,
  offsets: offsetsArb(5000),
  /** Per node: which services it registers (bit 0 svc, bit 1 db). */
  registrations: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 5, maxLength: 5 }),
  actions: fc.array(actionArb, { maxLength: 4 }),
  quorum: fc.boolean(),
})

/** Group of each node under the last partition (all 0 after a heal). */
function componentsOf(cluster: Cluster, groupOf: number[]): SimNode[][] {
  const byGroup = new Map<number, SimNode[]>()
  for (const node of cluster.live()) {
    const group = groupOf[node.index] ?? 0
    byGroup.set(group, [...(byGroup.get(group) ?? []), node])
  }
  return [...byGroup.values()]
}

it('every connected component converges on exactly one leader per service', async () => {
  let componentsChecked = 0
  await fc.assert(
    fc.asyncProperty(scenarioArb, async (s) => {
      const cluster = await startCluster({
        ...clusterBase(s),
        skews: s.offsets.map((offsetMs) => ({ offsetMs })),
        ...(s.quorum ? { election: { quorum: { expectedNodes: s.size } } } : {}),
      })
      try {
        for (const node of cluster.nodes) {
          const bits = s.registrations[node.index] ?? 0
          for (const [i, service] of SERVICES.entries()) {
            if (bits & (1 << i)) await cluster.register(node, service)
          }
          await cluster.advance(20)
        }
        let groupOf = cluster.nodes.map(() => 0)
        for (const action of s.actions) {
          if (action.kind === 'partition') {
            groupOf = cluster.nodes.map((n) => action.groups[n.index] ?? 0)
            const groups = [0, 1, 2].map((g) =>
              cluster.nodes.filter((n) => groupOf[n.index] === g).map((n) => n.index),
            )
            cluster.partition(groups)
          } else if (action.kind === 'heal') {
            groupOf = cluster.nodes.map(() => 0)
            cluster.heal()
          } else {
            const node = cluster.nodes[action.node % s.size] as SimNode
            if (!node.crashed) await cluster.crash(node)
          }
          await cluster.advance(action.waitMs)
        }
        const { defaultTtlMs: ttl, heartbeatIntervalMs, antiEntropyIntervalMs } = cluster.config
        // Quorum mode may add a displacement's handover block (2G) and a check interval.
        const handover = s.quorum ? 2 * handoverDelayMs(ttl, DRIFT) + DEFAULT_CHECK_INTERVAL_MS : 0
        await cluster.advance(ttl + heartbeatIntervalMs + antiEntropyIntervalMs + handover)

        for (const component of componentsOf(cluster, groupOf)) {
          componentsChecked++
          for (const service of SERVICES) {
            const registered = component
              .map((n) => n.handles.get(service)?.instance)
              .filter((i): i is Instance => i !== undefined)
            const withheld = s.quorum && component.length < majorityOf(s.size)
            const expected = withheld ? undefined : leaderOf(registered)
            for (const node of component) {
              const named = node.election.leader(service)
              assert.equal(named?.instance.key, expected?.key, `node ${node.index} on ${service}`)
            }
            const believers = component.filter((n) => {
              const handle = n.handles.get(service)
              return handle !== undefined && n.election.amILeader(handle)
            })
            assert.equal(believers.length, expected === undefined ? 0 : 1)
            if (expected !== undefined) assert.equal(believers[0]?.mesh.peerId, expected.owner)
          }
        }
      } finally {
        await cluster.stop()
      }
    }),
    { numRuns: 200, includeErrorInReport: true },
  )
  assert.ok(componentsChecked >= 200)
})
