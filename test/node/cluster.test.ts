/**
 * Five (and more) real agent processes on loopback, joined by bootstrap, mDNS off: changes reach
 * every agent, a kill -9 expires its instances everywhere, a restart with the same key file
 * supersedes its stale instances for good, a SIGTERM sends tombstones, and a late joiner gets
 * the full set through anti-entropy.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { controlRequest } from '../../src/cli/control-client.ts'
import { parseEndpoint } from '../../src/cli/endpoint.ts'
import type { InstanceJson } from '../../src/cli/json.ts'
import {
  type Agent,
  type AgentEvent,
  change,
  killAllAgents,
  LOOPBACK_FLAGS,
  spawnAgent,
  waitAll,
} from '../helpers/agent-process.ts'

/** The local preset: heartbeat 250 ms, TTL 1500 ms, expiry sweep 50 ms. */
const PRESET = ['--preset', 'local']
const TTL_MS = 1500
const HEARTBEAT_MS = 250
const SPREAD_MS = 5000
/**
 * A kill -9ed agent's instances expire on the others between TTL − 2 heartbeats − 250 ms after
 * the kill (its last heartbeat left at most one interval before, plus one interval and 250 ms of
 * timer lateness on a loaded machine) and TTL + 1 heartbeat + one 50 ms sweep + 450 ms of slack.
 */
const EARLIEST_EXPIRY_MS = TTL_MS - 2 * HEARTBEAT_MS - 250
const LATEST_EXPIRY_MS = TTL_MS + HEARTBEAT_MS + 50 + 450

function agentFlags(bootstrap: readonly Agent[], extra: readonly string[] = []): string[] {
  return [
    ...LOOPBACK_FLAGS,
    ...PRESET,
    ...bootstrap.flatMap((a) => ['--bootstrap', a.address]),
    ...extra,
  ]
}

function key(owner: string, service: string, id: string): string {
  return `${owner}\n${service}\n${id}`
}

async function register(
  agent: Agent,
  spec: { service: string; id: string; addresses: string[] },
): Promise<InstanceJson> {
  const { instance } = await controlRequest<{ instance: InstanceJson }>(
    parseEndpoint(agent.control),
    'POST',
    '/v1/register',
    spec,
  )
  return instance
}

async function servicesOf(agent: Agent): Promise<InstanceJson[]> {
  const { instances } = await controlRequest<{ instances: InstanceJson[] }>(
    parseEndpoint(agent.control),
    'GET',
    '/v1/services',
  )
  return instances
}

/** Peer events, so a test can wait until an agent is connected before acting on it. */
function connectedTo(peer: string) {
  return (e: AgentEvent): boolean => e.type === 'peer' && e.event === 'connected' && e.peer === peer
}

describe('a cluster of agent processes on loopback', () => {
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossip-sd-cluster-'))
  })

  after(async () => {
    await killAllAgents()
    await rm(dir, { recursive: true, force: true })
  })

  /**
   * Each test runs on agents of its own (the first one the others bootstrap to), killed when it
   * ends, so one test's failure leaves nothing behind for the next.
   */
  async function withCluster(size: number, body: (agents: Agent[]) => Promise<void>) {
    const first = await spawnAgent(agentFlags([]))
    const agents = [first]
    try {
      const rest = Array.from({ length: size - 1 }, () => spawnAgent(agentFlags([first])))
      agents.push(...(await Promise.all(rest)))
      await waitAll(agents.slice(1), connectedTo(first.peerId), SPREAD_MS, 'connection to agent 0')
      await body(agents)
    } finally {
      for (const a of agents) a.kill('SIGKILL')
      await Promise.all(agents.map((a) => a.exited))
    }
  }

  it('spreads register, update and deregister to every agent', () =>
    withCluster(5, async (agents) => {
      const owner = agents[2] as Agent
      const k = key(owner.peerId, 'web', 'w1')
      await register(owner, { service: 'web', id: 'w1', addresses: ['127.0.0.1:8001'] })
      await waitAll(agents, change('created', k), SPREAD_MS, 'web/w1 created')
      await register(owner, { service: 'web', id: 'w1', addresses: ['127.0.0.1:8002'] })
      // The owner's election may also update the instance once, when it claims leadership.
      const moved = (e: AgentEvent): boolean =>
        change('updated', k)(e) && 'instance' in e && e.instance.addresses[0] === '127.0.0.1:8002'
      const updated = await waitAll(agents, moved, SPREAD_MS, 'web/w1 updated')
      for (const event of updated)
        assert.deepEqual('instance' in event && event.instance.addresses, ['127.0.0.1:8002'])
      const { removed } = await controlRequest<{ removed: boolean }>(
        parseEndpoint(owner.control),
        'POST',
        '/v1/deregister',
        { service: 'web', id: 'w1' },
      )
      assert.equal(removed, true)
      await waitAll(agents, change('deleted', k), SPREAD_MS, 'web/w1 deleted')
    }))

  it("expires a kill -9ed agent's instances everywhere after its TTL, and a restart with its key file supersedes them for good", () =>
    withCluster(3, async (agents) => {
      const keyFile = join(dir, 'crash.key')
      const crashing = await spawnAgent(
        agentFlags(
          [agents[0] as Agent],
          ['--key-file', keyFile, '--register', 'old=127.0.0.1:7001'],
        ),
      )
      // This test's own processes never join the shared list: a failure here cannot leave a dead
      // or stray agent for the tests after it.
      const others = [...agents]
      const cluster = [...agents, crashing]
      const oldKey = key(crashing.peerId, 'old', '127.0.0.1:7001')
      await waitAll(others, change('created', oldKey), SPREAD_MS, 'old created')

      const killedAt = Date.now()
      crashing.kill('SIGKILL')
      const expired = await waitAll(others, change('expired', oldKey), TTL_MS + 4000, 'old expired')
      for (const e of expired) {
        const removal = ('at' in e ? e.at : Number.NaN) - killedAt
        assert.ok(
          removal >= EARLIEST_EXPIRY_MS && removal <= LATEST_EXPIRY_MS,
          `expired ${removal} ms after the kill, outside [${EARLIEST_EXPIRY_MS}, ${LATEST_EXPIRY_MS}]`,
        )
      }

      // Restart with the same key: same peer ID, new instances everywhere.
      const restarted = await spawnAgent(
        agentFlags(
          [agents[0] as Agent],
          ['--key-file', keyFile, '--register', 'new=127.0.0.1:7002'],
        ),
      )
      cluster[cluster.indexOf(crashing)] = restarted
      assert.equal(restarted.peerId, crashing.peerId)
      const newKey = key(restarted.peerId, 'new', '127.0.0.1:7002')
      await waitAll(others, change('created', newKey), SPREAD_MS, 'new created')

      // Crash it again and restart at once, before its TTL: the newer incarnation deletes the
      // previous run's instance on arrival instead of letting it linger.
      const marks = others.map((a) => a.events.items.length)
      restarted.kill('SIGKILL')
      await restarted.exited
      const again = await spawnAgent(
        agentFlags(
          [agents[0] as Agent],
          ['--key-file', keyFile, '--register', 'newer=127.0.0.1:7003'],
        ),
      )
      cluster[cluster.indexOf(restarted)] = again
      const newerKey = key(again.peerId, 'newer', '127.0.0.1:7003')
      await waitAll(others, change('created', newerKey), SPREAD_MS, 'newer created')
      await Promise.all(
        others.map((a) =>
          a.events.waitFor(
            (e) => change('deleted', newKey)(e) || change('expired', newKey)(e),
            TTL_MS + 4000,
            `new removed on ${a.pid}`,
          ),
        ),
      )
      // A full anti-entropy round later (driven by a fresh registration's heartbeat mismatch
      // and the periodic sync), nothing of the old runs has come back anywhere.
      const probe = key((agents[1] as Agent).peerId, 'probe', 'p')
      await register(agents[1] as Agent, { service: 'probe', id: 'p', addresses: ['127.0.0.1:1'] })
      await waitAll(cluster, change('created', probe), SPREAD_MS, 'probe created')
      others.forEach((a, i) => {
        const later = a.events.items.slice(marks[i])
        for (const stale of [oldKey, newKey])
          assert.ok(!later.some(change('created', stale)), `stale instance came back on ${a.pid}`)
      })
      for (const a of cluster) {
        const keys = (await servicesOf(a)).map((i) => i.key)
        assert.ok(!keys.includes(oldKey) && !keys.includes(newKey), `stale key listed by ${a.pid}`)
        assert.ok(keys.includes(newerKey))
      }
      again.kill('SIGKILL')
      await again.exited
    }))

  it('sends tombstones on SIGTERM: every agent sees deleted, not expired, and the agent exits 0', () =>
    withCluster(3, async (agents) => {
      const leaving = await spawnAgent(
        agentFlags([agents[0] as Agent], ['--register', 'leaving=127.0.0.1:7100']),
      )
      const k = key(leaving.peerId, 'leaving', '127.0.0.1:7100')
      await waitAll(agents, change('created', k), SPREAD_MS, 'leaving created')
      leaving.kill('SIGTERM')
      await waitAll(agents, change('deleted', k), TTL_MS, 'leaving deleted by its tombstone')
      assert.equal(await leaving.exited, 0)
      for (const a of agents) assert.ok(!a.events.items.some(change('expired', k)))
    }))

  it('brings a late joiner up to date through anti-entropy', () =>
    withCluster(3, async (agents) => {
      const owner = agents[1] as Agent
      for (const id of ['a', 'b', 'c'])
        await register(owner, {
          service: 'batch',
          id,
          addresses: [`127.0.0.1:90${id.charCodeAt(0)}`],
        })
      await waitAll(agents, change('created', key(owner.peerId, 'batch', 'c')), SPREAD_MS, 'batch')
      const expected = (await servicesOf(agents[0] as Agent)).map((i) => i.key).sort()
      assert.deepEqual(expected, ['a', 'b', 'c'].map((id) => key(owner.peerId, 'batch', id)).sort())

      const late = await spawnAgent(agentFlags([agents[2] as Agent]))
      await Promise.all(
        expected.map((k) =>
          late.events.waitFor(change('created', k), SPREAD_MS, `late joiner has ${k}`),
        ),
      )
      assert.deepEqual((await servicesOf(late)).map((i) => i.key).sort(), expected)
      late.kill('SIGKILL')
      await late.exited
    }))
})
