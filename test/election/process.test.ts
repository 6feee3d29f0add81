/**
 * Real processes: three `gossip-sd agent` processes on loopback (mDNS off, local preset) hold one
 * instance each of a service, registered in order. kill -9 of the leader's process makes every
 * survivor name the next-oldest; a graceful stop (SIGTERM) of that one hands over to the last.
 * Each step awaits the agents' NDJSON events with a deadline, then asks every agent's `leader`.
 */
import assert from 'node:assert/strict'
import { after, it } from 'node:test'
import type { InstanceJson } from '../../src/cli/json.ts'
import { instanceKey } from '../../src/membership/types.ts'
import {
  type Agent,
  change,
  killAllAgents,
  LOOPBACK_FLAGS,
  runCli,
  spawnAgent,
  waitAll,
} from '../helpers/agent-process.ts'

const SERVICE = 'election-e2e'
/** The local preset's TTL and heartbeat interval (pinned in test/membership/pinned-constants.test.ts). */
const defaultTtlMs = 1500
const heartbeatIntervalMs = 250
/** Crash removal is TTL + one heartbeat; the rest is slack for a loaded machine. */
const EXPIRY_DEADLINE_MS = defaultTtlMs + heartbeatIntervalMs + 5000
/**
 * When the survivors expire the crashed leader, after the kill: not before TTL − 2 heartbeats −
 * 250 ms (its last heartbeat left at most one interval before the kill, plus one interval and
 * 250 ms of timer lateness on a loaded machine), not after TTL + 1 heartbeat + a 50 ms sweep +
 * 950 ms of slack.
 */
const EARLIEST_EXPIRY_MS = defaultTtlMs - 2 * heartbeatIntervalMs - 250
const LATEST_EXPIRY_MS = defaultTtlMs + heartbeatIntervalMs + 50 + 950
const STEP_DEADLINE_MS = 20_000

after(killAllAgents)

async function leaderSeenBy(agent: Agent): Promise<string | undefined> {
  const result = await runCli(['leader', SERVICE, '--control', agent.control, '--json'])
  const { leader } = JSON.parse(result.stdout) as { leader: InstanceJson | null }
  return leader?.key
}

async function assertLeader(agents: readonly Agent[], key: string): Promise<void> {
  const seen = await Promise.all(agents.map(leaderSeenBy))
  assert.deepEqual(
    seen,
    agents.map(() => key),
  )
}

it('kill -9 of the leader process hands over to the next-oldest everywhere', async () => {
  const agents: Agent[] = []
  const keys: string[] = []
  for (let i = 0; i < 3; i++) {
    const address = `127.0.0.1:${7101 + i}`
    // Every agent bootstraps to all earlier ones: the mesh has no peer exchange, so a star
    // around the first agent would fall apart into singletons when it is killed.
    const bootstrap = agents.flatMap((a) => ['--bootstrap', a.address])
    const flags = [...LOOPBACK_FLAGS, '--preset', 'local', '--register', `${SERVICE}=${address}`]
    const agent = await spawnAgent([...flags, ...bootstrap])
    const key = instanceKey(agent.peerId, SERVICE, address)
    await agent.events.waitFor(change('created', key), STEP_DEADLINE_MS, `own ${key}`)
    agents.push(agent)
    keys.push(key)
  }
  const [oldest, next, last] = keys as [string, string, string]
  const [first, second, third] = agents as [Agent, Agent, Agent]
  for (const key of keys)
    await waitAll(agents, change('created', key), STEP_DEADLINE_MS, `created ${key}`)
  await assertLeader(agents, oldest)

  const killedAt = Date.now()
  first.kill('SIGKILL')
  const expired = await waitAll(
    [second, third],
    change('expired', oldest),
    EXPIRY_DEADLINE_MS,
    'crash expiry',
  )
  for (const e of expired) {
    const after = ('at' in e ? e.at : Number.NaN) - killedAt
    assert.ok(
      after >= EARLIEST_EXPIRY_MS && after <= LATEST_EXPIRY_MS,
      `expired ${after} ms after the kill, outside [${EARLIEST_EXPIRY_MS}, ${LATEST_EXPIRY_MS}]`,
    )
  }
  await assertLeader([second, third], next)

  second.kill('SIGTERM')
  await third.events.waitFor(change('deleted', next), STEP_DEADLINE_MS, 'graceful leave')
  await assertLeader([third], last)
})
