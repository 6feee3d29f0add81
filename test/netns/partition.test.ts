/**
 * One real network partition: three agents in namespaces converge, then h2's link goes down (its
 * switch port, as if its cable were pulled). Each side must expire the other's instances after
 * their TTL; a registration made on the majority side stays there; when the link comes back up,
 * both sides must converge on the full set (anti-entropy after reconnecting), h2's own instance
 * included.
 *
 * Run with peers found by mDNS and by a bootstrap list, each with two cut lengths: a short cut,
 * which TCP connections may survive, and a cut that outlasts TCP (the hosts' kernels give up on
 * unacknowledged data after ~3 s, and the test waits until every connection across the cut is
 * gone), so healing needs the agents to find and dial each other again.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Agent } from './agent.ts'
import { useTestbed } from './testbed.ts'

/** For discovery and convergence; the local preset heartbeats every 250 ms. */
const CONVERGE_MS = 20_000
/** For TTL expiry: the local preset's TTL is 1.5 s and the sweep runs every 50 ms. */
const EXPIRE_MS = 10_000
/** The local preset (pinned in test/membership/pinned-constants.test.ts). */
const TTL_MS = 1500
const HEARTBEAT_MS = 250
/**
 * After the cut, the other side's instances expire not before TTL − 2 heartbeats − 250 ms (their
 * last heartbeat crossed at most one interval before, plus one interval and 250 ms of timer
 * lateness) and not after TTL + 1 heartbeat + a 50 ms sweep + 950 ms of slack for a loaded machine.
 */
const EARLIEST_EXPIRY_MS = TTL_MS - 2 * HEARTBEAT_MS - 250
const LATEST_EXPIRY_MS = TTL_MS + HEARTBEAT_MS + 50 + 950
/** For reconnecting and resyncing after the link is back. */
const HEAL_MS = 15_000
/**
 * TCP in the hosts for a cut that outlasts it: a connection with unacknowledged data drops after
 * ~3 s (3 retransmissions), an idle one after ~3 s of unanswered keepalive probes (libp2p's TCP
 * sockets enable keepalive).
 */
const TCP_GIVES_UP_IN_3S = {
  'net.ipv4.tcp_retries2': '3',
  'net.ipv4.tcp_keepalive_time': '1',
  'net.ipv4.tcp_keepalive_intvl': '1',
  'net.ipv4.tcp_keepalive_probes': '2',
}

for (const discovery of ['mdns', 'bootstrap'] as const) {
  for (const cut of ['short', 'long'] as const) {
    const title =
      cut === 'short' ? 'a short cut' : 'a cut that outlasts TCP (connections drop, peers redial)'
    describe(`a real partition between namespaces, peers found by ${discovery}: ${title}`, () => {
      const bed = useTestbed({
        hosts: 3,
        ...(cut === 'long' ? { sysctls: TCP_GIVES_UP_IN_3S } : {}),
      })
      let h0: Agent
      let h1: Agent
      let h2: Agent

      /** Waits until `holds` is true for each of `agents`. */
      const converged = (
        agents: Agent[],
        what: string,
        holds: (agent: Agent) => boolean,
        ms: number,
      ) => Promise.all(agents.map((agent) => agent.until(what, () => holds(agent), ms)))

      test('three agents converge', async () => {
        const start = (i: number, bootstrap: readonly string[] = []) =>
          bed.start(i, {
            mdns: discovery === 'mdns',
            bootstrap,
            register: [`web=${bed.net.hosts[i]!.address}:8080`],
          })
        if (discovery === 'mdns') {
          ;[h0, h1, h2] = await Promise.all([start(0), start(1), start(2)])
        } else {
          h0 = await start(0)
          ;[h1, h2] = await Promise.all([start(1, h0.addresses), start(2, h0.addresses)])
        }
        const all = [h0, h1, h2]
        await converged(
          all,
          'all three web instances',
          (a) => all.every((o) => a.has(o, 'web')),
          CONVERGE_MS,
        )
      })

      test('with h2 cut off, each side expires the other side after the TTL', async () => {
        const cutAt = Date.now()
        bed.net.linkDown(bed.net.hosts[2]!)
        const expiredFrom = (owners: Agent[]) => (agent: Agent) =>
          owners.every((owner) => agent.saw('expired', owner, 'web') && !agent.has(owner, 'web'))
        await Promise.all([
          converged([h0, h1], "h2's web instance expired", expiredFrom([h2]), EXPIRE_MS),
          converged([h2], "h0's and h1's web instances expired", expiredFrom([h0, h1]), EXPIRE_MS),
        ])
        for (const [agent, owners] of [
          [h0, [h2]],
          [h1, [h2]],
          [h2, [h0, h1]],
        ] as const)
          for (const owner of owners) {
            const after = (agent.seenAt('expired', owner, 'web') ?? Number.NaN) - cutAt
            assert.ok(
              after >= EARLIEST_EXPIRY_MS && after <= LATEST_EXPIRY_MS,
              `${agent.label} expired ${owner.label}'s instance ${after} ms after the cut, outside [${EARLIEST_EXPIRY_MS}, ${LATEST_EXPIRY_MS}]`,
            )
          }
        assert.ok(h2.has(h2, 'web'), 'h2 lost its own instance')
        assert.ok(h0.has(h0, 'web') && h0.has(h1, 'web'), 'the majority side lost an instance')
      })

      test('a registration on the majority side reaches the majority only', async () => {
        await h0.register('api', `${h0.host.address}:9090`, 'during-partition')
        await converged([h0, h1], 'the api instance', (a) => a.has(h0, 'api'), CONVERGE_MS)
        assert.ok(!h2.has(h0, 'api'), 'h2 got a registration across the partition')
        if (cut === 'long') {
          await Promise.all([
            converged([h0, h1], 'no connection to h2', (a) => !a.connectedTo(h2), CONVERGE_MS),
            converged(
              [h2],
              'no connection to h0 or h1',
              (a) => !a.connectedTo(h0) && !a.connectedTo(h1),
              CONVERGE_MS,
            ),
          ])
        }
      })

      test('after linkUp both sides converge on the full set', async () => {
        bed.net.linkUp(bed.net.hosts[2]!)
        const all = [h0, h1, h2]
        await converged(
          all,
          'the full set: three web instances and the api instance',
          (a) => all.every((o) => a.has(o, 'web')) && a.has(h0, 'api', 'during-partition'),
          HEAL_MS,
        )
      })
    })
  }
}
