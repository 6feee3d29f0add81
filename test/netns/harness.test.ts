/**
 * The namespace harness on its own, with tiny TCP and multicast programs (probe.ts) instead of
 * the agent: it builds a closed network, partitions and heals a host for real, carries multicast
 * between hosts, and leaves nothing behind (crashed runs included).
 */
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  createNetwork,
  type Host,
  ip,
  ipJson,
  LEDGER_DIR,
  listNamespaces,
  type TestNetwork,
} from './harness.ts'
import { WatchedProcess } from './watched.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const PROBE = fileURLToPath(new URL('./probe.ts', import.meta.url))
const DEADLINE_MS = 10_000
const TCP_PORT = '7000'
/** How long a TCP probe waits for an answer before it calls the peer unreachable. */
const PROBE_TIMEOUT_MS = '1000'

/** The root namespace's links and addresses, as comparable strings. */
function rootNetworkState(): string[] {
  const links = ipJson(undefined, ['addr', 'show'])
  return links.map((link) => JSON.stringify([link.ifindex, link.ifname, link.addr_info])).sort()
}

/** A kernel setting the harness changes in the hosts, to check it stays per-namespace. */
const SYSCTL = 'net.ipv4.tcp_retries2'

/** The value of SYSCTL in a namespace, or in the root namespace. */
function retries2(netns?: string): string {
  const value =
    netns === undefined
      ? execFileSync('sysctl', ['-n', SYSCTL], { encoding: 'utf8' })
      : ip(['netns', 'exec', netns, 'sysctl', '-n', SYSCTL])
  return value.trim()
}

/** Interface names in a namespace, sorted. */
function linkNames(netns: string): string[] {
  return ipJson(netns, ['link', 'show'])
    .map((link) => String(link.ifname))
    .sort()
}

describe('netns harness', () => {
  let net: TestNetwork
  let rootBefore: string[]
  let rootRetries2: string

  before(() => {
    rootBefore = rootNetworkState()
    rootRetries2 = retries2()
    net = createNetwork({ hosts: 3, sysctls: { [SYSCTL]: '7' } })
  })
  after(() => net?.cleanup())

  const host = (i: number): Host => net.hosts[i]!

  /** Starts a probe.ts command in a host's namespace. */
  function probe(on: Host, ...args: string[]): WatchedProcess {
    const argv = [process.execPath, '--import', 'tsx', PROBE, ...args]
    return new WatchedProcess(`${args[0]} in ${on.label}`, net.spawnIn(on, argv, { cwd: REPO }))
  }

  async function listening(p: WatchedProcess): Promise<void> {
    await p.until('listening', () => p.lines.includes('listening'), DEADLINE_MS)
  }

  /** `reachable` or `unreachable: ...`, as seen by a TCP client in `from`. */
  async function tcpVerdict(from: Host, to: Host): Promise<string> {
    const client = probe(from, 'tcp-probe', to.address, TCP_PORT, PROBE_TIMEOUT_MS)
    await client.until('a verdict', () => client.lines.length > 0, DEADLINE_MS)
    return `${from.label} -> ${to.label}: ${client.lines[0]}`
  }

  test('puts every link and setting inside its own namespaces, none in the root namespace', () => {
    assert.deepEqual(rootNetworkState(), rootBefore, 'the root namespace changed')
    const existing = listNamespaces()
    for (const ns of net.namespaces) assert.ok(existing.includes(ns), `${ns} is missing`)
    for (const h of net.hosts) assert.deepEqual(linkNames(h.netns), ['eth0', 'lo'])
    const ports = net.hosts.map((_, i) => `p${i}`)
    assert.deepEqual(linkNames(net.switchNetns), ['br0', 'lo', ...ports].sort())
    // Each switch port's veth peer lives in its host's namespace: the bridge has no uplink.
    const nsids = new Map(
      ipJson(net.switchNetns, ['netns', 'list-id']).map((e) => [e.nsid, e.name]),
    )
    const links = ipJson(net.switchNetns, ['-d', 'link', 'show'])
    for (const [i, h] of net.hosts.entries()) {
      const port = links.find((link) => link.ifname === `p${i}`)
      assert.equal(nsids.get(port?.link_netnsid), h.netns, `p${i}'s peer is not in ${h.label}`)
      assert.equal(port?.master, 'br0', `p${i} is not on the bridge`)
    }
    for (const h of net.hosts) assert.equal(retries2(h.netns), '7', `${SYSCTL} in ${h.label}`)
    assert.equal(retries2(), rootRetries2, `${SYSCTL} changed in the root namespace`)
  })

  test('hosts reach each other over TCP; linkDown cuts one off, linkUp heals it', async () => {
    const servers = net.hosts.map((h) => probe(h, 'tcp-serve', h.address, TCP_PORT))
    await Promise.all(servers.map(listening))
    const [h0, h1, h2] = [host(0), host(1), host(2)]
    const verdicts = (pairs: Array<[Host, Host]>) =>
      Promise.all(pairs.map(([from, to]) => tcpVerdict(from, to)))
    const reachable = (pairs: Array<[Host, Host]>) =>
      pairs.map(([from, to]) => `${from.label} -> ${to.label}: reachable`)

    const all: Array<[Host, Host]> = [
      [h0, h1],
      [h1, h2],
      [h2, h0],
    ]
    assert.deepEqual(await verdicts(all), reachable(all))

    net.linkDown(h0)
    const [toCut, fromCut, majority] = await verdicts([
      [h1, h0],
      [h0, h2],
      [h1, h2],
    ])
    assert.match(toCut!, /^h1 -> h0: unreachable/)
    assert.match(fromCut!, /^h0 -> h2: unreachable/)
    assert.equal(majority, 'h1 -> h2: reachable')

    net.linkUp(h0)
    assert.deepEqual(await verdicts(all), reachable(all))
  })

  test('multicast sent on one host reaches the others, and again after a relink', async () => {
    // The group and port mDNS uses, with a plain datagram.
    const listen = (on: Host) => {
      const listener = probe(on, 'mcast-listen', '224.0.0.251', '5353')
      return listening(listener).then(() => listener)
    }
    const hears = (listener: WatchedProcess) =>
      listener.until('the datagram', () => listener.lines.includes('got hello'), DEADLINE_MS)
    const listeners = await Promise.all([listen(host(1)), listen(host(2))])
    probe(host(0), 'mcast-send', '224.0.0.251', '5353', 'hello')
    await Promise.all(listeners.map(hears))
    net.linkDown(host(2))
    net.linkUp(host(2))
    await hears(await listen(host(2)))
  })

  test('removes what a crashed run left, and only that', async () => {
    // A run that crashed: its process is gone; its ledger, a namespace (`dead` is a valid random
    // suffix) and an orphan process inside that namespace remain.
    const dead = spawn(process.execPath, ['-e', ''])
    await once(dead, 'exit')
    const leftover = `gsd-${dead.pid}-dead-h0`
    mkdirSync(LEDGER_DIR, { recursive: true })
    writeFileSync(
      join(LEDGER_DIR, `gsd-${dead.pid}-dead.json`),
      JSON.stringify({ pid: dead.pid, namespaces: [leftover] }),
    )
    ip(['netns', 'add', leftover])
    const orphanCode = "console.log('up'); setInterval(() => {}, 60_000)"
    const orphan = new WatchedProcess(
      'orphan',
      spawn('ip', ['netns', 'exec', leftover, process.execPath, '-e', orphanCode]),
    )
    await orphan.until('its first line', () => orphan.lines.includes('up'), DEADLINE_MS)

    const other = createNetwork({ hosts: 1 })
    await other.cleanup()
    assert.equal(await orphan.exited(DEADLINE_MS), null, 'the orphan was not killed')
    const existing = listNamespaces()
    assert.ok(!existing.includes(leftover), `${leftover} was not removed`)
    for (const ns of [...net.namespaces, ...other.namespaces]) {
      assert.equal(existing.includes(ns), net.namespaces.includes(ns), `${ns} wrongly kept/removed`)
    }
  })

  test('cleanup stops its processes and deletes every namespace it created', async () => {
    // Port 7001: the servers of the TCP test still hold 7000 (cleanup stops them too).
    const server = probe(host(0), 'tcp-serve', host(0).address, '7001')
    await listening(server)
    await net.cleanup()
    assert.equal(server.running, false, 'a spawned process survived cleanup')
    const existing = listNamespaces()
    for (const ns of net.namespaces) assert.ok(!existing.includes(ns), `${ns} survived cleanup`)
    assert.deepEqual(rootNetworkState(), rootBefore, 'the root namespace changed')
  })
})
