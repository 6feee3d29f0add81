/**
 * bench:latency: how long a change takes from one process to another on loopback, for gossip-sd
 * beside two references, in one run.
 *
 *   npm run bench:latency -- [--samples N] [--json out.json]
 *
 * - gossip-sd: register at node A → the `created` change at node B (two processes running
 *   createNode, lan preset, B bootstrapped to A).
 * - etcd: put by one client → the watch event at another client (two processes, one etcd
 *   started by the test harness on loopback).
 * - gossipsub: one publish → the message at the other of two bare libp2p processes (the floor of
 *   bench:cluster: the same libp2p modules, defaults, no application code).
 * Each end stamps its own time (ms since the epoch, sub-millisecond; one host, one clock): the
 * writer just before it writes, the watcher when the event reaches it. The systems take turns
 * in rounds (a tenth of the samples each), so each sees the same host load; one change at a
 * time, 10 ms apart, after 20 discarded warm-up changes. Every process is stopped by PID.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { LineLog, parseJsonLine } from '../test/helpers/line-log.ts'
import { type StoreServer, startEtcd } from '../test/helpers/stores.ts'
import { stopChildren } from './lib/floor.ts'
import { argValue, percentile, printTable, type Row, sleep, writeJsonIfAsked } from './table.ts'

const SAMPLES = Number(argValue('--samples') ?? 200)
const ROUNDS = 10
const WARM_UP = 20
const GAP_MS = 10
const EVENT_DEADLINE_MS = 5000
const READY_MS = 120_000

if (!Number.isInteger(SAMPLES) || SAMPLES < ROUNDS) {
  console.error(`--samples takes a whole number ≥ ${ROUNDS}`)
  process.exit(2)
}

type Line =
  | { type: 'ready'; address?: string; peerId?: string }
  | { type: 'sent' | 'seen'; id: string; at: number }
  | { type: 'watching' }

interface Peer {
  readonly lines: LineLog<Line>
  readonly address: string | undefined
  send(id: string): void
}

const children = new Set<ChildProcess>()

async function startPeer(args: readonly string[]): Promise<Peer> {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  const lines = new LineLog<Line>(child.stdout as NonNullable<typeof child.stdout>, parseJsonLine)
  const ready = await lines.waitFor((l) => l.type === 'ready', READY_MS, `${args.join(' ')}`)
  return {
    lines,
    address: ready.type === 'ready' ? ready.address : undefined,
    send: (id) => child.stdin?.write(`send ${id}\n`),
  }
}

const PEER = ['--import', 'tsx', fileURLToPath(new URL('./lib/latency-peer.ts', import.meta.url))]
const BARE = [fileURLToPath(new URL('./lib/bare-node.mjs', import.meta.url))]

interface System {
  readonly name: string
  readonly writer: Peer
  readonly watcher: Peer
  readonly samples: number[]
  next: number
}

async function pair(name: string, start: () => Promise<[Peer, Peer]>): Promise<System> {
  const [writer, watcher] = await start()
  return { name, writer, watcher, samples: [], next: 0 }
}

/** One change from writer to watcher: its latency in ms. */
async function once(system: System): Promise<number> {
  const id = `${system.name.replace(/[^a-z]/g, '')}${system.next++}`
  system.writer.send(id)
  const match = (type: 'sent' | 'seen') => (l: Line) => l.type === type && l.id === id
  const [sent, seen] = await Promise.all([
    system.writer.lines.waitFor(match('sent'), EVENT_DEADLINE_MS, `${id} sent`),
    system.watcher.lines.waitFor(match('seen'), EVENT_DEADLINE_MS, `${id} seen`),
  ])
  if (sent.type !== 'sent' || seen.type !== 'seen') throw new Error('unreachable')
  return seen.at - sent.at
}

async function main(etcd: StoreServer): Promise<void> {
  const loadStart = loadavg()[0]?.toFixed(1)
  const systems = [
    await pair('gossip-sd register → watch', async () => {
      const a = await startPeer([...PEER, 'gossip-sd', 'writer'])
      const b = await startPeer([...PEER, 'gossip-sd', 'watcher', '--bootstrap', `${a.address}`])
      return [a, b]
    }),
    await pair('etcd put → watch', async () => {
      const watcher = await startPeer([...PEER, 'etcd', 'watcher', '--endpoint', etcd.endpoint])
      await watcher.lines.waitFor((l) => l.type === 'watching', READY_MS, 'etcd watch')
      return [await startPeer([...PEER, 'etcd', 'writer', '--endpoint', etcd.endpoint]), watcher]
    }),
    await pair('gossipsub hop (bare libp2p)', async () => {
      const a = await startPeer(BARE)
      const b = await startPeer([...BARE, '--print-messages', '--bootstrap', `${a.address}`])
      return [a, b]
    }),
  ]
  // Warm-up: connections, gossipsub meshes, JIT.
  for (const system of systems)
    for (let i = 0; i < WARM_UP; i++) {
      await once(system).catch(() => undefined)
      await sleep(GAP_MS)
    }
  for (let round = 0; round < ROUNDS; round++)
    for (const system of systems)
      for (let i = 0; i < SAMPLES / ROUNDS; i++) {
        system.samples.push(await once(system))
        await sleep(GAP_MS)
      }
  const rows: Row[] = systems.map((s) => ({
    path: s.name,
    'p50 (ms)': percentile(s.samples, 50),
    'p99 (ms)': percentile(s.samples, 99),
    'min (ms)': Math.min(...s.samples),
    samples: s.samples.length,
    target: s === systems[0] ? 'p50 < 1.2' : '-',
  }))
  printTable(
    `bench:latency: two processes on loopback, one change at a time (load ${loadStart} → ${loadavg()[0]?.toFixed(1)})`,
    rows,
  )
  writeJsonIfAsked({
    samples: Object.fromEntries(systems.map((s) => [s.name, s.samples])),
    summary: rows,
  })
}

const etcd = await startEtcd()
try {
  await main(etcd)
} catch (err) {
  console.error(err)
  process.exitCode = 1
} finally {
  await stopChildren(children)
  await etcd.stop()
}
