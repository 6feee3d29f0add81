/**
 * The election over real libp2p nodes in one process (loopback TCP, mDNS off, local preset):
 * `createElection(node)` is all it takes. Three nodes agree on the oldest instance; when its
 * node stops, the next-oldest is named everywhere, and its quorum-mode standby resolves.
 * Every wait is an event with a deadline.
 */
import assert from 'node:assert/strict'
import { after, it } from 'node:test'
import type { RegistrationHandle } from '../../src/contract.ts'
import { createElection, type Election } from '../../src/election/index.ts'
import { createNode, type GossipNode } from '../../src/node/index.ts'
import { withDeadline } from '../helpers/deadline.ts'

const SERVICE = 'election-libp2p'
const DEADLINE_MS = 15_000

const nodes: GossipNode[] = []
const elections: Election[] = []
after(async () => {
  for (const election of elections) election.close()
  await Promise.all(nodes.map((node) => node.stop()))
})

/** Resolves once `check()` holds, re-checked after each of the election's events. */
function until(election: Election, check: () => boolean, what: string): Promise<void> {
  let off = (): void => undefined
  const holds = new Promise<void>((resolve) => {
    off = election.subscribe(() => check() && resolve())
    if (check()) resolve()
  })
  return withDeadline(holds, DEADLINE_MS, what).finally(off)
}

it('names the oldest over libp2p and hands over when its node stops', async () => {
  const handles: RegistrationHandle[] = []
  const quorumElections: Election[] = []
  for (let i = 0; i < 3; i++) {
    const node = await createNode({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
      preset: 'local',
      bootstrap: nodes.flatMap((n) => n.addresses()),
    })
    nodes.push(node)
    elections.push(createElection(node))
    quorumElections.push(createElection(node, { quorum: { expectedNodes: 3 } }))
    handles.push(
      await node.register({ service: SERVICE, id: `n${i}`, addresses: [`:${7200 + i}`] }),
    )
  }
  elections.push(...quorumElections)
  const [first, second] = handles as [RegistrationHandle, RegistrationHandle]
  const names = (e: Election, h: RegistrationHandle) => e.leader(SERVICE)?.instance.key === h.key
  for (const [i, e] of elections.slice(0, 3).entries())
    await until(e, () => names(e, first), `node ${i} names the oldest`)
  assert.equal(elections[0]?.amILeader(first), true)
  assert.equal(elections[1]?.amILeader(second), false)

  const standby = (quorumElections[1] as Election).standby(second)
  await (nodes[0] as GossipNode).stop()
  for (const [i, e] of elections.slice(1, 3).entries())
    await until(e, () => names(e, second), `node ${i + 1} names the next-oldest`)
  assert.equal(elections[1]?.amILeader(second), true)
  const leadership = await withDeadline(standby, DEADLINE_MS, 'quorum standby of the next-oldest')
  assert.equal(leadership.instance.key, second.key)
})
