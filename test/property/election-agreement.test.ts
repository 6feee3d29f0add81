/**
 * Property: over generated latencies, clock offsets of up to ±1 h between owners,
 * registrations, newcomers, partitions, heals and crashes,
 * - the first leader of a service is the oldest of its first registrants, as a model in this
 *   file computes it from the registrations' own stamps (not from the election's rules);
 * - a newcomer never preempts a live leader, however far its owner's clock runs behind;
 * - all nodes give the first leader the same term, and keep it while newcomers register;
 * - after convergence every connected component has exactly one leader per service, every node
 *   of the component names it, and its owner alone believes it leads;
 * - each node's terms never decrease. (After partitions, nodes that saw different successions
 *   may hold different terms for one leader: src/election/term.ts.)
 * In quorum mode the same holds for a component with a majority of the expected nodes, and a
 * smaller one names no leader at all.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import fc from 'fast-check'
import {
  DEFAULT_CHECK_INTERVAL_MS,
  DEFAULT_CLAIM_DELAY_MS,
  DEFAULT_MAX_CLOCK_DRIFT_RATIO,
} from '../../src/election/options.ts'
import { handoverDelayMs, majorityOf } from '../../src/election/quorum.ts'
import type { Instance } from '../../src/membership/types.ts'
import { type Cluster, type SimNode, startCluster } from '../election/cluster.ts'
import { clusterBase, linkArbs, offsetsArb } from './election-scenarios.ts'

const SERVICES = ['svc', 'db'] as const
const DRIFT = { maxClockDriftRatio: DEFAULT_MAX_CLOCK_DRIFT_RATIO }
const HOUR = 3_600_000

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
  offsets: offsetsArb(HOUR),
  /** Per node: which services it registers (bit 0 svc, bit 1 db). */
  registrations: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 5, maxLength: 5 }),
  /** Per node: registers only once the first leaders are claimed (a newcomer). */
  late: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  actions: fc.array(actionArb, { maxLength: 4 }),
  quorum: fc.boolean(),
})

/** The model's leader of a first round of registrations: the oldest stamp, then the lowest key. */
function oldest(instances: readonly Instance[]): Instance | undefined {
  let best: Instance | undefined
  for (const i of instances) {
    if (
      best === undefined ||
      i.createdAt < best.createdAt ||
      (i.createdAt === best.createdAt && i.key < best.key)
    )
      best = i
  }
  return best
}

/** Group of each node under the last partition (all 0 after a heal). */
function componentsOf(cluster: Cluster, groupOf: number[]): SimNode[][] {
  const byGroup = new Map<number, SimNode[]>()
  for (const node of cluster.live()) {
    const group = groupOf[node.index] ?? 0
    byGroup.set(group, [...(byGroup.get(group) ?? []), node])
  }
  return [...byGroup.values()]
}

function registered(nodes: readonly SimNode[], service: string): Instance[] {
  return nodes
    .map((n) => n.handles.get(service)?.instance)
    .filter((i): i is Instance => i !== undefined)
}

it('one leader per component, the model’s first leader, never preempted by a newcomer', async () => {
  let componentsChecked = 0
  let newcomersChecked = 0
  await fc.assert(
    fc.asyncProperty(scenarioArb, async (s) => {
      const cluster = await startCluster({
        ...clusterBase(s),
        skews: s.offsets.map((offsetMs) => ({ offsetMs })),
        ...(s.quorum ? { election: { quorum: { expectedNodes: s.size } } } : {}),
      })
      const lastTerm = new Map<string, number>()
      for (const node of cluster.nodes) {
        node.election.subscribe((event) => {
          if (event.type !== 'leader' || event.leader === null) return
          const at = `${node.index} ${event.service}`
          const term = event.leader.term
          assert.ok(term >= (lastTerm.get(at) ?? 0), `node ${node.index}: term went down`)
          lastTerm.set(at, term)
        })
      }
      const { defaultTtlMs: ttl, heartbeatIntervalMs, antiEntropyIntervalMs } = cluster.config
      const g = s.quorum ? handoverDelayMs(ttl, DRIFT) : 0
      const registerAll = async (late: boolean, check?: () => void): Promise<void> => {
        for (const node of cluster.nodes) {
          if ((s.late[node.index] ?? false) !== late) continue
          const bits = s.registrations[node.index] ?? 0
          for (const [i, service] of SERVICES.entries()) {
            if (bits & (1 << i)) await cluster.register(node, service)
          }
          await cluster.advance(20)
          check?.()
        }
      }
      try {
        await registerAll(false)
        // Quorum mode names the first leader after G, 2G if an older registrant displaced it.
        await cluster.advance(DEFAULT_CLAIM_DELAY_MS + 2 * g + 200)
        const first = new Map<string, { key: string; term: number }>()
        for (const service of SERVICES) {
          const expected = oldest(registered(cluster.nodes, service))
          if (expected === undefined) continue
          const term = cluster.nodes[0]?.election.leader(service)?.term ?? 0
          first.set(service, { key: expected.key, term })
          for (const node of cluster.nodes) {
            const named = node.election.leader(service)
            assert.equal(named?.instance.key, expected.key, 'first leader')
            assert.equal(named?.term, term, 'first term')
          }
        }
        // Newcomers, their owners' clocks up to an hour behind or ahead: the leader stays.
        await registerAll(true, () => {
          for (const [service, leader] of first) {
            for (const node of cluster.nodes) {
              const named = node.election.leader(service)
              assert.equal(named?.instance.key, leader.key, 'preempted')
              assert.equal(named?.term, leader.term, 'term changed')
              newcomersChecked++
            }
          }
        })

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
        // Quorum mode may add a displacement's handover block (2G) and a check interval.
        const handover = s.quorum ? 2 * g + DEFAULT_CHECK_INTERVAL_MS : 0
        await cluster.advance(ttl + heartbeatIntervalMs + antiEntropyIntervalMs + handover)

        for (const component of componentsOf(cluster, groupOf)) {
          componentsChecked++
          for (const service of SERVICES) {
            const live = registered(component, service)
            const withheld = s.quorum && component.length < majorityOf(s.size)
            const named = component.map((n) => n.election.leader(service))
            const [leader] = named
            if (withheld || live.length === 0) {
              for (const l of named) assert.equal(l, undefined)
              continue
            }
            assert.ok(leader !== undefined, `no leader of ${service}`)
            assert.ok(
              live.some((i) => i.key === leader.instance.key),
              'a live instance leads',
            )
            for (const [i, l] of named.entries())
              assert.equal(l?.instance.key, leader.instance.key, `node ${i} on ${service}`)
            const believers = component.filter((n) => {
              const handle = n.handles.get(service)
              return handle !== undefined && n.election.amILeader(handle)
            })
            assert.deepEqual(
              believers.map((n) => n.mesh.peerId),
              [leader.instance.owner],
            )
          }
        }
      } finally {
        await cluster.stop()
      }
    }),
    { numRuns: 200, includeErrorInReport: true },
  )
  assert.ok(componentsChecked >= 200)
  assert.ok(newcomersChecked >= 100, `only ${newcomersChecked} newcomer checks`)
})
