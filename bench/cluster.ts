/**
 * bench:cluster: real agent processes on loopback (mDNS off, lan preset), joined by bootstrap.
 *
 *   npm run bench:cluster -- --nodes N [--registrations R] [--idle-seconds S] [--heartbeat MS]
 *                            [--sources] [--no-floor] [--json out.json]
 *
 * Agents run the way the package ships them (compiled, dist/; `npm run bench:cluster` builds
 * it first), or the sources under tsx with `--sources`.
 *
 * The floor first, in the same run: N bare libp2p processes (lib/bare-node.mjs: the same libp2p
 * modules, gossipsub on one topic, no application code) joined the same way, measured idle and
 * then each publishing one 120 B message per second (an idle agent signs one heartbeat a
 * second): CPU % of a core per process over a window after a settle, RSS, bytes written/s;
 * and, while they publish, one publish → the last process to receive it, R times (printed in
 * the floor's column of register → everywhere: the stack's own spread on this host).
 *
 * Then, with every agent holding 10 instances:
 * - register → everywhere: from just before the control request on one agent until the last
 *   agent logged `created` (agents stamp each NDJSON event with their wall clock; one host, one
 *   clock), p50/p99 over R registrations spread over the agents; the same for deregistration.
 *   Also from the owner's own line to the last: the part the floor's probe compares with.
 * - crash → removal: from kill -9 of one agent until every other agent logged `expired` for all
 *   its instances (the bound is TTL + one heartbeat).
 * - late join: a new agent bootstrapped to one node, from its first connection until it holds the
 *   full set (and from spawn, process start included).
 * - idle: CPU % of one core, RSS and bytes/s per agent over a quiet window (/proc), plus the
 *   mesh's own payload bytes/s and frames, syncs and gossipsub messages per second from the
 *   agents' counters, where the CPU went by thread (/proc/<pid>/task), and the service changes
 *   (expiries on a starved host) and peer events the agents logged in that window.
 * Every process is killed by PID at the end, on error and on a global deadline.
 */
import { loadavg } from 'node:os'
import { controlRequest } from '../src/cli/control-client.ts'
import { parseEndpoint } from '../src/cli/endpoint.ts'
import type { InstanceJson } from '../src/cli/json.ts'
import { lanMeshConfig } from '../src/mesh/config.ts'
import {
  type Agent,
  type AgentEvent,
  COMPILED_LAUNCHER,
  change,
  killAllAgents,
  type Launcher,
  LOOPBACK_FLAGS,
  SOURCE_LAUNCHER,
  spawnAgent,
  waitAll,
} from '../test/helpers/agent-process.ts'
import { type FloorNode, startFloor, stopFloor } from './lib/floor.ts'
import { rates, residentBytes, sampleProcess, threadCpuMs } from './lib/proc.ts'
import { bootstrapFor } from './lib/topology.ts'
import { argValue, percentile, printTable, type Row, sleep, writeJsonIfAsked } from './table.ts'

const NODES = Number(argValue('--nodes') ?? 5)
const REGISTRATIONS = Number(argValue('--registrations') ?? 20)
const IDLE_SECONDS = Number(argValue('--idle-seconds') ?? 10)
const INSTANCES_PER_NODE = 10
const SPAWN_BATCH = 4
const SETTLE_MS = 3000
const OP_DEADLINE_MS = 10_000
/** A floor probe that has not reached a process by then never will (the floor does not repair). */
const FLOOR_SPREAD_DEADLINE_MS = 3000
/** Spawn → ready line at most (a shared host under load starts slowly: 40 agents at load 74 took over 60 s). */
const READY_MS = 60_000 + NODES * 3000
/** Last agent up → every agent holding every instance, at most (grows with N: a loaded host is slow). */
const CONVERGE_MS = 60_000 + NODES * 3000
/** Ten minutes and one more per node: a loaded host starts agents slowly. */
const GLOBAL_DEADLINE_MS = (10 + NODES) * 60_000
const HEARTBEAT_FLAG = argValue('--heartbeat')
const TTL_MS = lanMeshConfig().defaultTtlMs
const HEARTBEAT_MS = Number(HEARTBEAT_FLAG ?? lanMeshConfig().heartbeatIntervalMs)
const FLOOR = !process.argv.includes('--no-floor')
const FLOOR_MESSAGE_BYTES = 120
const FLOOR_MESSAGE_MS = 1000
const MIB = 1024 * 1024
const LAUNCHER: Launcher = process.argv.includes('--sources') ? SOURCE_LAUNCHER : COMPILED_LAUNCHER

if (!Number.isInteger(NODES) || NODES < 2 || NODES > 40) {
  console.error('--nodes takes a whole number from 2 to 40')
  process.exit(2)
}

function key(owner: string, service: string, id: string): string {
  return `${owner}\n${service}\n${id}`
}

function lastAt(events: readonly { at?: number }[]): number {
  return Math.max(...events.map((e) => e.at ?? Number.NaN))
}

function agentFlags(i: number, agents: readonly Agent[]): string[] {
  const registrations = Array.from({ length: INSTANCES_PER_NODE }, (_, k) => [
    '--register',
    `svc${k}=127.0.0.1:${20_000 + i * 100 + k}`,
  ]).flat()
  return [...agentBase(), ...bootstrapFor(i, agents), ...registrations]
}

/** Loopback, mDNS off, the lan preset, and the heartbeat override if one was given. */
function agentBase(): string[] {
  return [
    ...LOOPBACK_FLAGS,
    '--preset',
    'lan',
    ...(HEARTBEAT_FLAG === undefined ? [] : ['--heartbeat', HEARTBEAT_FLAG]),
  ]
}

/**
 * Spawns one agent; one that prints no ready line in time is killed and started again, up to
 * twice (seen on this loaded host: an agent starting into a busy cluster sometimes never printed
 * anything), and counted.
 */
let startRetries = 0
async function spawnWithRetry(flags: readonly string[]): Promise<Agent> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await spawnAgent(flags, READY_MS, LAUNCHER)
    } catch (err) {
      if (attempt >= 2) throw err
      startRetries++
      console.error(`started again: ${String(err).split('\n')[0]}`)
    }
  }
}

/** Spawn of the first agent → every agent holding every instance, or what was held at the deadline. */
let converged = ''

async function startCluster(): Promise<Agent[]> {
  const started = performance.now()
  const agents: Agent[] = [await spawnWithRetry(agentFlags(0, []))]
  while (agents.length < NODES) {
    const batch = Array.from(
      { length: Math.min(SPAWN_BATCH, NODES - agents.length) },
      (_, b) => agents.length + b,
    )
    const snapshot = [...agents]
    agents.push(...(await Promise.all(batch.map((i) => spawnWithRetry(agentFlags(i, snapshot))))))
  }
  const total = NODES * INSTANCES_PER_NODE
  const held = (a: Agent): number => a.events.items.filter((e) => e.type === 'created').length
  // A starved host converges slowly: past the deadline the run goes on and says how far it got.
  const waited = await Promise.all(
    agents.map((a) => a.events.waitFor(() => held(a) >= total, CONVERGE_MS, 'all instances')),
  ).then(
    () => true,
    () => false,
  )
  const ms = Math.round(performance.now() - started)
  converged = waited
    ? `${ms}`
    : `not in ${ms} (fewest held: ${Math.min(...agents.map(held))} of ${total})`
  return agents
}

async function control<T>(agent: Agent, method: 'GET' | 'POST', path: string, body?: unknown) {
  return controlRequest<T>(parseEndpoint(agent.control), method, path, body)
}

/**
 * A change's spread, R times: from just before the control request, and from the owner's own
 * `created`/`deleted` line (the part the floor's probe compares with: no control request).
 */
interface Spread {
  readonly samples: number[]
  readonly fromOwner: number[]
}

async function spread(
  agents: readonly Agent[],
  type: 'registered' | 'deregistered',
): Promise<Spread> {
  const samples: number[] = []
  const fromOwner: number[] = []
  for (let r = 0; r < REGISTRATIONS; r++) {
    const owner = agents[r % agents.length] as Agent
    const k = key(owner.peerId, 'bench', `r${r}`)
    const start = Date.now()
    if (type === 'registered')
      await control(owner, 'POST', '/v1/register', {
        service: 'bench',
        id: `r${r}`,
        addresses: [`127.0.0.1:${30_000 + r}`],
      })
    else await control(owner, 'POST', '/v1/deregister', { service: 'bench', id: `r${r}` })
    // A change that misses an agent past the deadline (a starved host) counts as the deadline.
    const events = await waitAll(
      agents,
      change(type === 'registered' ? 'created' : 'deleted', k),
      OP_DEADLINE_MS,
      `bench/r${r} ${type}`,
    ).catch(() => undefined)
    if (events === undefined) {
      samples.push(OP_DEADLINE_MS)
      continue
    }
    const last = lastAt(events as { at?: number }[])
    samples.push(last - start)
    const ownChange = events[agents.indexOf(owner)] as { at?: number } | undefined
    if (ownChange?.at !== undefined) fromOwner.push(last - ownChange.at)
  }
  return { samples, fromOwner }
}

/** p50 or p99 of a spread, saying how many changes missed an agent past the deadline. */
function spreadPercentile(samples: readonly number[], p: number): string | number {
  const value = percentile(samples, p)
  const missed = samples.filter((v) => v >= OP_DEADLINE_MS).length
  return missed === 0 ? value : `${value} (${missed} of ${samples.length} ≥ ${OP_DEADLINE_MS})`
}

/** CPU, bytes written and RSS of some processes over one window, and their CPU by thread name. */
interface Window {
  cpu: number[]
  bytes: number[]
  rss: number[]
  /** Mean CPU % of a core per process, by thread name. */
  threads: Map<string, number>
  seconds: number
}

async function measureWindow(pids: readonly number[], during?: Promise<void>): Promise<Window> {
  const before = await Promise.all(pids.map((pid) => sampleProcess(pid)))
  const threadsBefore = await Promise.all(pids.map((pid) => threadCpuMs(pid)))
  const t0 = performance.now()
  await (during ?? sleep(IDLE_SECONDS * 1000))
  const after = await Promise.all(pids.map((pid) => sampleProcess(pid)))
  const threadsAfter = await Promise.all(pids.map((pid) => threadCpuMs(pid)))
  const seconds = (performance.now() - t0) / 1000
  const rss = await Promise.all(pids.map((pid) => residentBytes(pid)))
  const measured = pids.map((_, i) => rates(before[i] as never, after[i] as never))
  const threads = new Map<string, number>()
  threadsAfter.forEach((byName, i) => {
    for (const [name, ms] of byName) {
      const spent = ms - ((threadsBefore[i] as Map<string, number>).get(name) ?? 0)
      threads.set(name, (threads.get(name) ?? 0) + spent / 10 / seconds / pids.length)
    }
  })
  return {
    cpu: measured.map((m) => m.cpuPercent),
    bytes: measured.map((m) => m.bytesPerSecond),
    rss,
    threads,
    seconds,
  }
}

/** The floor: bare libp2p processes idle, then each publishing one message a second. */
interface FloorStats {
  idle: Window
  publishing: Window
  peers: number[]
  /** One publish → the last other process to receive it, R of them, while all publish. */
  spread: FloorSpread
}

async function floor(): Promise<FloorStats> {
  const nodes: FloorNode[] = await startFloor(NODES, SPAWN_BATCH)
  try {
    await sleep(SETTLE_MS)
    const pids = nodes.map((n) => n.pid)
    const idleWindow = await measureWindow(pids)
    for (const node of nodes) node.publish(FLOOR_MESSAGE_MS, FLOOR_MESSAGE_BYTES)
    await sleep(SETTLE_MS)
    const publishing = await measureWindow(pids)
    const spread = await floorSpread(nodes)
    const peers = await Promise.all(nodes.map((n) => n.peers()))
    return { idle: idleWindow, publishing, peers, spread }
  } finally {
    await stopFloor()
  }
}

/**
 * The floor's counterpart of register → everywhere: one publish at a process → the last other
 * process to receive it, R times from processes in turn, while every process publishes its one
 * message a second. The floor never redials, so a process can lose all its links (on a loaded
 * host its first dials time out): the spread is taken over the processes a probe reached within
 * the deadline, and those it never reached are counted.
 */
async function floorSpread(nodes: readonly FloorNode[]): Promise<FloorSpread> {
  const samples: number[] = []
  const unreached = new Set<number>()
  for (let r = 0; r < REGISTRATIONS; r++) {
    const origin = nodes[r % nodes.length] as FloorNode
    const id = `spread-${r}`
    const others = nodes.filter((n) => n !== origin)
    const seen = others.map((n) => n.seen(id, FLOOR_SPREAD_DEADLINE_MS).catch(() => undefined))
    const sentAt = await origin.send(id)
    const at = await Promise.all(seen)
    at.forEach((t, i) => {
      if (t === undefined) unreached.add((others[i] as FloorNode).pid)
    })
    const reached = at.filter((t) => t !== undefined)
    if (reached.length > 0) samples.push(Math.max(...reached) - sentAt)
  }
  return { samples, unreached: unreached.size }
}

interface FloorSpread {
  /** ms from publish to the last process reached, one per probe that reached any. */
  samples: number[]
  /** Processes some probe did not reach within the deadline. */
  unreached: number
}

/** p50 or p99 of the floor's spread, saying how many processes it never reached. */
function floorSpreadPercentile(spread: FloorSpread, p: number): string | number {
  const value = percentile(spread.samples, p)
  return spread.unreached === 0 ? value : `${value.toFixed(2)} (${spread.unreached} not reached)`
}

interface AgentCounters {
  framesSent: number
  framesReceived: number
  bytesSent: number
  syncsStarted: number
}

type Status = { peers: string[]; stats: AgentCounters & { meshPeers: number } }

async function idle(agents: readonly Agent[]): Promise<{
  window: Window
  payload: number[]
  perSecond: AgentCounters
  peers: number[]
  meshPeers: number[]
  changes: number
  peerEvents: number
}> {
  const linesBefore = agents.map((a) => a.events.items.length)
  const statusBefore = await Promise.all(agents.map((a) => control<Status>(a, 'GET', '/v1/status')))
  const window = await measureWindow(agents.map((a) => a.pid))
  const statusAfter = await Promise.all(agents.map((a) => control<Status>(a, 'GET', '/v1/status')))
  const rate = (field: keyof AgentCounters): number[] =>
    agents.map(
      (_, i) =>
        ((statusAfter[i] as Status).stats[field] - (statusBefore[i] as Status).stats[field]) /
        window.seconds,
    )
  return {
    window,
    payload: rate('bytesSent'),
    perSecond: {
      framesSent: mean(rate('framesSent')),
      framesReceived: mean(rate('framesReceived')),
      bytesSent: mean(rate('bytesSent')),
      syncsStarted: mean(rate('syncsStarted')),
    },
    peers: statusAfter.map((s) => s.peers.length),
    meshPeers: statusAfter.map((s) => s.stats.meshPeers),
    // Instances expiring and coming back while nothing changes: the sign of a starved host.
    changes: countSince(agents, linesBefore, (e) => e.type !== 'peer'),
    peerEvents: countSince(agents, linesBefore, (e) => e.type === 'peer'),
  }
}

/** Event lines the agents logged after `linesBefore` (one count per agent) that `which` picks. */
function countSince(
  agents: readonly Agent[],
  linesBefore: readonly number[],
  which: (event: AgentEvent) => boolean,
): number {
  return agents.reduce(
    (sum, a, i) => sum + a.events.items.slice(linesBefore[i] as number).filter(which).length,
    0,
  )
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length
}

/** "main 1.20 · libuv-worker 0.10 …": the threads that spent at least 0.01 % of a core. */
function byThread(threads: Map<string, number>): string {
  return [...threads]
    .filter(([, percent]) => percent >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([name, percent]) => `${name} ${percent.toFixed(2)}`)
    .join(' · ')
}

async function crash(agents: Agent[]): Promise<number> {
  const victim = agents.pop() as Agent
  const { instances } = await control<{ instances: InstanceJson[] }>(victim, 'GET', '/v1/services')
  const keys = instances.filter((i) => i.owner === victim.peerId).map((i) => i.key)
  const start = Date.now()
  victim.kill('SIGKILL')
  // Only expiries after the kill: on a starved host instances also expire (and come back) before.
  const expiredAfterKill = (k: string) => (e: AgentEvent) =>
    change('expired', k)(e) && 'at' in e && e.at >= start
  const events = await Promise.all(
    keys.map((k) => waitAll(agents, expiredAfterKill(k), TTL_MS * 3, `expiry of ${k}`)),
  )
  return lastAt(events.flat() as { at?: number }[]) - start
}

async function lateJoin(agents: Agent[]): Promise<{ fromConnect: number; fromSpawn: number }> {
  const { instances } = await control<{ instances: InstanceJson[] }>(
    agents[0] as Agent,
    'GET',
    '/v1/services',
  )
  const spawnedAt = Date.now()
  const late = await spawnAgent(
    [...agentBase(), '--bootstrap', (agents[0] as Agent).address],
    READY_MS,
    LAUNCHER,
  )
  agents.push(late)
  const created = await Promise.all(
    instances.map((i) =>
      late.events.waitFor(change('created', i.key), 30_000, `late join ${i.key}`),
    ),
  )
  const connected = await late.events.waitFor((e) => e.type === 'peer', 1, 'late joiner connected')
  const done = lastAt(created as { at?: number }[])
  return {
    fromConnect: done - ('at' in connected ? connected.at : Number.NaN),
    fromSpawn: done - spawnedAt,
  }
}

async function main(): Promise<void> {
  const loadStart = loadavg()[0]?.toFixed(1)
  const floorStats = FLOOR ? await floor() : undefined
  const loadFloor = loadavg()[0]?.toFixed(1)
  const started = performance.now()
  const agents = await startCluster()
  // Let gossipsub form its meshes (grafts happen on its 1 s heartbeat) before measuring the
  // steady state; the first registrations after a cold start are measured by late join instead.
  await sleep(SETTLE_MS)
  console.log(
    `${NODES} agents up with ${INSTANCES_PER_NODE} instances each in ${Math.round(performance.now() - started)} ms`,
  )
  const idleStats = await idle(agents)
  const loadIdle = loadavg()[0]?.toFixed(1)
  const register = await spread(agents, 'registered')
  const deregister = await spread(agents, 'deregistered')
  const loadSpread = loadavg()[0]?.toFixed(1)
  // Past their deadlines (a starved host) these report NaN and the table still prints.
  const crashMs = await crash(agents).catch(() => Number.NaN)
  const join = await lateJoin(agents).catch(() => ({
    fromConnect: Number.NaN,
    fromSpawn: Number.NaN,
  }))
  const floorIdle = floorStats?.idle
  const floorBusy = floorStats?.publishing
  const cpuTarget =
    floorBusy === undefined ? '-' : `≤ ${(1.25 * mean(floorBusy.cpu)).toFixed(2)} (1.25 × floor)`
  const ref = (w: Window | undefined, f: (w: Window) => number): string | number =>
    w === undefined ? '-' : f(w)
  const idleWindow = idleStats.window
  const rows: Row[] = [
    {
      metric: 'idle CPU per process, mean (% of a core)',
      agents: mean(idleWindow.cpu),
      'floor 1 msg/s': ref(floorBusy, (w) => mean(w.cpu)),
      'floor idle': ref(floorIdle, (w) => mean(w.cpu)),
      target: cpuTarget,
    },
    {
      metric: 'idle CPU per process, max (% of a core)',
      agents: Math.max(...idleWindow.cpu),
      'floor 1 msg/s': ref(floorBusy, (w) => Math.max(...w.cpu)),
      'floor idle': ref(floorIdle, (w) => Math.max(...w.cpu)),
      target: '-',
    },
    {
      metric: 'RSS per process, mean (MiB)',
      agents: mean(idleWindow.rss) / MIB,
      'floor 1 msg/s': ref(floorBusy, (w) => mean(w.rss) / MIB),
      'floor idle': ref(floorIdle, (w) => mean(w.rss) / MIB),
      target: '≤ 100',
    },
    {
      metric: 'RSS per process, max (MiB)',
      agents: Math.max(...idleWindow.rss) / MIB,
      'floor 1 msg/s': ref(floorBusy, (w) => Math.max(...w.rss) / MIB),
      'floor idle': ref(floorIdle, (w) => Math.max(...w.rss) / MIB),
      target: '-',
    },
    {
      metric: 'bytes written/s per process, mean',
      agents: Math.round(mean(idleWindow.bytes)),
      'floor 1 msg/s': ref(floorBusy, (w) => Math.round(mean(w.bytes))),
      'floor idle': ref(floorIdle, (w) => Math.round(mean(w.bytes))),
      target: '-',
    },
    {
      metric: 'gossipsub mesh peers per agent, mean / min',
      agents: `${mean(idleStats.meshPeers).toFixed(1)} / ${Math.min(...idleStats.meshPeers)}`,
      target: '-',
    },
    {
      metric: 'connected peers per process, mean',
      agents: mean(idleStats.peers),
      'floor 1 msg/s': floorStats === undefined ? '-' : mean(floorStats.peers),
      'floor idle': '-',
      target: '-',
    },
    {
      metric: 'idle mesh payload bytes/s per agent, mean',
      agents: Math.round(idleStats.perSecond.bytesSent),
      target: '-',
    },
    {
      metric: 'idle frames sent / received per second per agent',
      agents: `${idleStats.perSecond.framesSent.toFixed(1)} / ${idleStats.perSecond.framesReceived.toFixed(1)}`,
      target: '-',
    },
    {
      metric: 'idle anti-entropy exchanges started per second per agent',
      agents: idleStats.perSecond.syncsStarted,
      target: '-',
    },
    {
      metric: 'service changes logged while idle (all nodes)',
      agents: idleStats.changes,
      target: '0',
    },
    {
      metric: 'peer connections and disconnections while idle (all nodes)',
      agents: idleStats.peerEvents,
      target: '-',
    },
    { metric: 'agents started again (no ready line in time)', agents: startRetries, target: '0' },
    {
      metric: 'start: first spawn → every agent holding every instance (ms)',
      agents: converged,
      target: '-',
    },
    {
      metric: 'register → all nodes p50 (ms)',
      agents: spreadPercentile(register.samples, 50),
      'floor 1 msg/s':
        floorStats === undefined ? '-' : floorSpreadPercentile(floorStats.spread, 50),
      target: '≤ 40',
    },
    {
      metric: 'register → all nodes p99 (ms)',
      agents: spreadPercentile(register.samples, 99),
      'floor 1 msg/s':
        floorStats === undefined ? '-' : floorSpreadPercentile(floorStats.spread, 99),
      target: '≤ 150',
    },
    {
      metric: "register → all nodes from the owner's own change, p50 / p99 (ms)",
      agents: `${percentile(register.fromOwner, 50)} / ${percentile(register.fromOwner, 99)}`,
      'floor 1 msg/s': '(the floor above)',
      target: '-',
    },
    {
      metric: 'deregister → all nodes p50 (ms)',
      agents: spreadPercentile(deregister.samples, 50),
      target: '≤ 40',
    },
    {
      metric: 'deregister → all nodes p99 (ms)',
      agents: spreadPercentile(deregister.samples, 99),
      target: '≤ 150',
    },
    {
      metric: "deregister → all nodes from the owner's own change, p50 / p99 (ms)",
      agents: `${percentile(deregister.fromOwner, 50)} / ${percentile(deregister.fromOwner, 99)}`,
      target: '-',
    },
    {
      metric: 'crash (kill -9) → removed everywhere (ms)',
      agents: crashMs,
      target: `≤ ${Math.min(3000, TTL_MS + HEARTBEAT_MS)}`,
    },
    {
      metric: 'late join: first connection → full set (ms)',
      agents: join.fromConnect,
      target: '-',
    },
    { metric: 'late join: spawn → full set (ms)', agents: join.fromSpawn, target: '-' },
    {
      metric: 'host load (1 min): start / after floor / after idle / after spreads / end',
      agents: `${loadStart} / ${loadFloor} / ${loadIdle} / ${loadSpread} / ${loadavg()[0]?.toFixed(1)}`,
      target: '-',
    },
  ]
  printTable(
    `bench:cluster: ${NODES} agents (${LAUNCHER === SOURCE_LAUNCHER ? 'sources under tsx' : 'compiled'}), ${INSTANCES_PER_NODE} instances each, lan preset (TTL ${TTL_MS} ms, heartbeat ${HEARTBEAT_MS} ms), ${REGISTRATIONS} registrations; floor: ${NODES} bare libp2p processes, idle and publishing ${FLOOR_MESSAGE_BYTES} B every ${FLOOR_MESSAGE_MS} ms each; idle windows ${IDLE_SECONDS} s`,
    rows,
  )
  console.log(`\nidle CPU by thread, % of a core per process (mean)`)
  console.log(`  agents:        ${byThread(idleWindow.threads)}`)
  if (floorBusy !== undefined) console.log(`  floor 1 msg/s: ${byThread(floorBusy.threads)}`)
  writeJsonIfAsked({
    nodes: NODES,
    instancesPerNode: INSTANCES_PER_NODE,
    preset: 'lan',
    ttlMs: TTL_MS,
    heartbeatMs: HEARTBEAT_MS,
    registerMs: register.samples,
    registerFromOwnerMs: register.fromOwner,
    deregisterMs: deregister.samples,
    deregisterFromOwnerMs: deregister.fromOwner,
    crashRemovalMs: crashMs,
    lateJoinMs: join,
    idleCpuPercent: idleWindow.cpu,
    idleRssBytes: idleWindow.rss,
    idleChanges: idleStats.changes,
    idlePeerEvents: idleStats.peerEvents,
    idleBytesPerSecond: idleWindow.bytes,
    idlePayloadBytesPerSecond: idleStats.payload,
    idleThreads: Object.fromEntries(idleWindow.threads),
    floor:
      floorStats === undefined
        ? undefined
        : {
            idleCpuPercent: floorStats.idle.cpu,
            idleRssBytes: floorStats.idle.rss,
            publishingCpuPercent: floorStats.publishing.cpu,
            publishingRssBytes: floorStats.publishing.rss,
            publishingThreads: Object.fromEntries(floorStats.publishing.threads),
            peers: floorStats.peers,
            spreadMs: floorStats.spread.samples,
            spreadUnreached: floorStats.spread.unreached,
          },
    summary: rows,
  })
}

const watchdog = setTimeout(() => {
  console.error(`bench:cluster: global deadline of ${GLOBAL_DEADLINE_MS} ms passed`)
  void Promise.all([killAllAgents(), stopFloor()]).finally(() => process.exit(1))
}, GLOBAL_DEADLINE_MS)
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(
    signal,
    () => void Promise.all([killAllAgents(), stopFloor()]).finally(() => process.exit(130)),
  )

try {
  await main()
} catch (err) {
  console.error(err)
  process.exitCode = 1
} finally {
  clearTimeout(watchdog)
  await Promise.all([killAllAgents(), stopFloor()])
}
