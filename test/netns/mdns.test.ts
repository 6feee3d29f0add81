/**
 * mDNS discovery for real: three agents, one per namespace, mDNS on and no bootstrap list, so the
 * only way they can learn of each other is multicast on the test bridge. They connect, converge,
 * spread a new registration, and tombstone their instances when stopped.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Agent } from './agent.ts'
import { useTestbed } from './testbed.ts'

/** For discovery and convergence; the local preset heartbeats every 250 ms. */
const CONVERGE_MS = 20_000

describe('mDNS between namespaces: 3 agents, no bootstrap list', () => {
  const bed = useTestbed({ hosts: 3 })
  let agents: Agent[] = []

  test('the agents find each other and converge on every registration', async () => {
    agents = await Promise.all(
      bed.net.hosts.map((host, i) =>
        bed.start(i, { mdns: true, register: [`web=${host.address}:8080`] }),
      ),
    )
    await Promise.all(
      agents.map((agent) =>
        agent.until(
          'connections to the two other agents',
          () => agents.every((other) => other === agent || agent.connectedTo(other)),
          CONVERGE_MS,
        ),
      ),
    )
    await Promise.all(
      agents.map((agent) =>
        agent.until(
          "every agent's web instance",
          () => agents.every((owner) => agent.has(owner, 'web')),
          CONVERGE_MS,
        ),
      ),
    )
  })

  test('a service registered on one agent appears on all', async () => {
    const [h0] = agents
    assert.ok(h0 !== undefined)
    await h0.register('api', `${h0.host.address}:9090`, 'api-1')
    await Promise.all(
      agents.map((agent) =>
        agent.until('api/api-1 from h0', () => agent.has(h0, 'api', 'api-1'), CONVERGE_MS),
      ),
    )
  })

  test('a stopped agent exits 0 and its instances are deleted everywhere', async () => {
    const [h0, h1, h2] = agents
    assert.ok(h0 !== undefined && h1 !== undefined && h2 !== undefined)
    assert.equal(await h2.stop(), 0, 'SIGTERM should stop the agent with exit code 0')
    // A graceful stop sends tombstones: the others see `deleted`, not a TTL expiry.
    await Promise.all(
      [h0, h1].map((agent) =>
        agent.until(
          "h2's web instance deleted",
          () => agent.saw('deleted', h2, 'web') && !agent.has(h2, 'web'),
          CONVERGE_MS,
        ),
      ),
    )
    assert.deepEqual(await Promise.all([h0.stop(), h1.stop()]), [0, 0])
  })
})
