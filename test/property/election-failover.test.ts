/**
 * Property: a crashed leader is replaced within TTL + one heartbeat, a gracefully leaving one
 * within one propagation (the link's latency + jitter), on every surviving node, in virtual
 * time; in quorum mode a crash costs the handover delay G more, a graceful leave nothing. Owners'
 * clocks are up to an hour apart. Leader and successor come from a model in this file (the
 * oldest registration stamps, lowest key on a tie), not from the election's rules; every
 * surviving node gives the successor the same term, above the one it gave the leader.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import fc from 'fast-check'
import { DEFAULT_CHECK_INTERVAL_MS, DEFAULT_CLAIM_DELAY_MS } from '../../src/election/options.ts'
import { handoverDelayMs } from '../../src/election/quorum.ts'
import type { Instance } from '../../src/membership/types.ts'
import { advanceUntilSettled } from '../../src/memory/memory-cluster.ts'
import { type SimNode, startCluster } from '../election/cluster.ts'
import { clusterBase, linkArbs, offsetsArb } from './election-scenarios.ts'

const scenarioArb = fc.record({
  size: fc.integer({ min: 3, max: 5 }),
  ...linkArbs,
  offsets: offsetsArb(3_600_000),
  /** How the leader goes: kill -9, deregister of its instance, or a graceful node stop. */
  exit: fc.constantFrom('crash', 'deregister', 'stop'),
  quorum: fc.boolean(),
  /** Phase of the exit relative to the heartbeat schedule. */
  phaseMs: fc.integer({ min: 0, max: 600 }),
})

it('replaces a crashed leader within TTL + one heartbeat and a leaver within one propagation', async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArb, async (s) => {
      const driftBound = 0.01
      const cluster = await startCluster({
        ...clusterBase(s),
        skews: s.offsets.map((offsetMs) => ({ offsetMs })),
        ...(s.quorum
          ? { election: { quorum: { expectedNodes: s.size, maxClockDriftRatio: driftBound } } }
          : {}),
      })
      try {
        for (const node of cluster.nodes) {
          await cluster.register(node, 'svc')
          await cluster.advance(20)
        }
        const { defaultTtlMs: ttl, heartbeatIntervalMs: heartbeat } = cluster.config
        const g = handoverDelayMs(ttl, { maxClockDriftRatio: driftBound })
        // Quorum mode: the first leader is named G after start, 2G after a newcomer that sorts
        // older (a clock offset) displaced the first candidate.
        await cluster.advance(DEFAULT_CLAIM_DELAY_MS + 2 * g + 500 + s.phaseMs)

        const byAge = cluster.nodes
          .map((n) => n.handles.get('svc')?.instance as Instance)
          .sort((a, b) => a.createdAt - b.createdAt || (a.key < b.key ? -1 : 1))
        const [oldest, next] = byAge as [Instance, Instance]
        const leaderNode = cluster.nodes.find((n) => n.mesh.peerId === oldest.owner) as SimNode
        const successor = cluster.nodes.find((n) => n.mesh.peerId === next.owner) as SimNode
        for (const node of cluster.nodes)
          assert.equal(node.election.leader('svc')?.instance.key, oldest.key)

        const termsBefore = cluster.nodes.map((n) => n.election.leader('svc')?.term ?? 0)
        const switchedAt = new Map<number, number>()
        for (const node of cluster.nodes) {
          if (node === leaderNode) continue
          node.election.subscribe((event) => {
            if (event.type === 'leader' && event.leader?.instance.key === next.key)
              switchedAt.set(node.index, cluster.now)
          })
        }
        let promotedAt: number | undefined
        void successor.election.standby(next.key).then(() => {
          promotedAt = cluster.now
        })
        const exitAt = cluster.now
        // A graceful stop waits for its neighbours' confirmations: it ends as virtual time passes.
        let stopping: Promise<void> | undefined
        if (s.exit === 'crash') await cluster.crash(leaderNode)
        else if (s.exit === 'deregister') await leaderNode.handles.get('svc')?.deregister()
        else stopping = leaderNode.mesh.stop()
        assert.equal(leaderNode.election.amILeader(oldest.key), false, 'the leaver demotes at once')

        const propagation = s.latencyMs + s.jitterMs
        const bound =
          s.exit === 'crash'
            ? ttl + heartbeat + (s.quorum ? g + ttl + DEFAULT_CHECK_INTERVAL_MS : 0)
            : propagation
        await cluster.advance(bound + 1, 1)
        if (stopping !== undefined) await advanceUntilSettled(cluster.scheduler, stopping)
        for (const node of cluster.nodes) {
          if (node === leaderNode) continue
          const at = switchedAt.get(node.index)
          assert.ok(at !== undefined, `node ${node.index} did not switch within ${bound} ms`)
          assert.ok(at - exitAt <= bound, `node ${node.index} switched after ${at - exitAt} ms`)
        }
        assert.ok(promotedAt !== undefined && promotedAt - exitAt <= bound, 'standby resolved late')
        assert.equal(successor.election.amILeader(next.key), true)
        // The successor's claim reaches everyone within one more propagation.
        await cluster.advance(propagation + 1, 1)
        const terms = new Set<number>()
        for (const node of cluster.nodes) {
          if (node === leaderNode) continue
          const term = node.election.leader('svc')?.term as number
          assert.ok(term > (termsBefore[node.index] as number), 'the term grows on succession')
          terms.add(term)
        }
        assert.equal(terms.size, 1, `survivors disagree on the term: ${[...terms]}`)
      } finally {
        await cluster.stop()
      }
    }),
    { numRuns: 200, includeErrorInReport: true },
  )
})
