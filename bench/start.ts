/**
 * bench:start: how fast an agent starts and how much memory it holds when idle, run the way the
 * package ships it (compiled, dist/) beside the way the bin ran before (the sources under tsx),
 * in one run on one host.
 *
 *   npm run bench:start -- [--runs R] [--nodes N] [--idle-seconds S] [--json out.json]
 *
 * - spawn → ready: from spawn() until the agent's NDJSON `ready` line (process start, module
 *   loading, identity, libp2p listening), solo, R runs per way, the ways alternating.
 * - idle RSS (VmRSS): a solo agent after S idle seconds; and per agent with N agents on
 *   loopback, each bootstrapped to the first and registering one instance, measured S idle
 *   seconds after every agent holds every other agent's instance (or 90 s passed: the table
 *   says how many agents held the full set). The agents start four at a time, each batch once
 *   the one before is connected (30 s at most); their spawn → ready includes contention for the
 *   host's cores, and "all ready" the whole paced start.
 * Targets (issue 14): spawn → ready ≤ 400 ms, solo idle RSS ≤ 80 MiB, N = 20 ≤ 100 MiB per agent.
 * `npm run bench:start` builds dist/ first. Every agent is stopped by PID, on error too.
 */
import { loadavg } from 'node:os'
import {
  type Agent,
  COMPILED_LAUNCHER,
  killAllAgents,
  type Launcher,
  SOURCE_LAUNCHER,
  spawnAgent,
} from '../test/helpers/agent-process.ts'
import { residentBytes } from './lib/proc.ts'
import { argValue, printTable, type Row, writeJsonIfAsked } from './table.ts'

const RUNS = Number(argValue('--runs') ?? 5)
const NODES = Number(argValue('--nodes') ?? 20)
const IDLE_MS = Number(argValue('--idle-seconds') ?? 5) * 1000
const READY_MS = 120_000
/** Agents started at once after the first (as bench:cluster does). */
const SPAWN_BATCH = 4
/** Bounds on waiting for a batch's connections and for every agent to hold the full set. */
const CONNECT_MS = 30_000
const CONVERGE_MS = 90_000
const MIB = 1024 * 1024

const WAYS: ReadonlyArray<{ name: string; launcher: Launcher }> = [
  {
    name: 'compiled (dist)',
    launcher: COMPILED_LAUNCHER,
  },
  { name: 'sources (tsx)', launcher: SOURCE_LAUNCHER },
]

if (!Number.isInteger(RUNS) || RUNS < 1 || !Number.isInteger(NODES) || NODES < 2 || NODES > 40) {
  console.error('--runs takes a whole number ≥ 1, --nodes a whole number from 2 to 40')
  process.exit(2)
}

const LOOPBACK = ['--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--control', '127.0.0.1:0']

/** Spawns an agent and times spawn → ready line. */
async function timedAgent(launcher: Launcher, flags: readonly string[]) {
  const started = performance.now()
  const agent = await spawnAgent([...LOOPBACK, ...flags], READY_MS, launcher)
  return { agent, readyMs: performance.now() - started }
}

async function stopAll(agents: readonly Agent[]): Promise<void> {
  for (const agent of agents) agent.kill('SIGTERM')
  await Promise.all(agents.map((agent) => agent.exited))
}

function idle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, IDLE_MS))
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

interface WayResult {
  way: string
  soloReadyMs: number[]
  soloRssMiB: number
  clusterReadyMs: number[]
  clusterAllReadyMs: number
  clusterRssMiB: number[]
  /** Agents that held every other agent's instance within CONVERGE_MS. */
  clusterConverged: number
}

async function solo(launcher: Launcher): Promise<{ readyMs: number; rssMiB: number }> {
  const { agent, readyMs } = await timedAgent(launcher, [])
  await idle()
  const rss = (await residentBytes(agent.pid)) / MIB
  await stopAll([agent])
  return { readyMs, rssMiB: rss }
}

async function cluster(launcher: Launcher) {
  const started = performance.now()
  const first = await timedAgent(launcher, ['--register', 'start=127.0.0.1:30000'])
  const rest: Array<Awaited<ReturnType<typeof timedAgent>>> = []
  while (rest.length < NODES - 1) {
    const batch = Array.from({ length: Math.min(SPAWN_BATCH, NODES - 1 - rest.length) }, (_, b) =>
      timedAgent(launcher, [
        '--bootstrap',
        first.agent.address,
        '--register',
        `start=127.0.0.1:${30_001 + rest.length + b}`,
      ]),
    )
    const started = await Promise.all(batch)
    // The next batch waits (a bounded time) until this one is connected: libp2p refuses more
    // than 5 inbound connections per second from one host (all are 127.0.0.1 here) and more
    // than 10 handshakes at once; with all agents started together, some stayed unconnected
    // for minutes on a loaded host.
    await Promise.allSettled(
      started.map(({ agent }) =>
        agent.events.waitFor(
          (e) => e.type === 'peer' && e.event === 'connected',
          CONNECT_MS,
          `agent ${agent.pid} connected`,
        ),
      ),
    )
    rest.push(...started)
  }
  const allReadyMs = performance.now() - started
  const agents = [first.agent, ...rest.map((r) => r.agent)]
  try {
    const holding = await Promise.allSettled(
      agents.map((agent) => {
        const others = agents.filter((a) => a !== agent).map((a) => a.peerId)
        return agent.events.waitFor(
          () => {
            const owners = new Set(
              agent.events.items.flatMap((e) => (e.type === 'created' ? [e.instance.owner] : [])),
            )
            return others.every((peer) => owners.has(peer))
          },
          CONVERGE_MS,
          `agent ${agent.pid} holding every other agent's instance`,
        )
      }),
    )
    await idle()
    const rssMiB = await Promise.all(agents.map(async (a) => (await residentBytes(a.pid)) / MIB))
    const converged = holding.filter((h) => h.status === 'fulfilled').length
    return { readyMs: [first, ...rest].map((r) => r.readyMs), allReadyMs, rssMiB, converged }
  } finally {
    await stopAll(agents)
  }
}

async function main(): Promise<void> {
  const loadStart = loadavg()
  const results = new Map<string, WayResult>(
    WAYS.map((w) => [
      w.name,
      {
        way: w.name,
        soloReadyMs: [],
        soloRssMiB: 0,
        clusterReadyMs: [],
        clusterAllReadyMs: 0,
        clusterRssMiB: [],
        clusterConverged: 0,
      },
    ]),
  )
  const soloRss = new Map<string, number[]>(WAYS.map((w) => [w.name, []]))
  for (let run = 0; run < RUNS; run++) {
    for (const way of run % 2 === 0 ? WAYS : [...WAYS].reverse()) {
      const { readyMs, rssMiB } = await solo(way.launcher)
      results.get(way.name)?.soloReadyMs.push(readyMs)
      soloRss.get(way.name)?.push(rssMiB)
    }
  }
  for (const way of WAYS) {
    const result = results.get(way.name) as WayResult
    result.soloRssMiB = median(soloRss.get(way.name) as number[])
    const c = await cluster(way.launcher)
    result.clusterReadyMs = c.readyMs
    result.clusterAllReadyMs = c.allReadyMs
    result.clusterRssMiB = c.rssMiB
    result.clusterConverged = c.converged
  }
  const loadEnd = loadavg()
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' / ')
  const rows: Row[] = [...results.values()].map((r) => ({
    way: r.way,
    'solo ready ms (median)': Math.round(median(r.soloReadyMs)),
    'solo ready ms (min–max)': `${Math.round(Math.min(...r.soloReadyMs))}–${Math.round(Math.max(...r.soloReadyMs))}`,
    'solo idle RSS MiB': r.soloRssMiB,
    [`N=${NODES} ready ms (median)`]: Math.round(median(r.clusterReadyMs)),
    [`N=${NODES} all ready s`]: r.clusterAllReadyMs / 1000,
    [`N=${NODES} RSS MiB/agent (median)`]: median(r.clusterRssMiB),
    [`N=${NODES} RSS MiB/agent (max)`]: Math.max(...r.clusterRssMiB),
    [`N=${NODES} holding all`]: `${r.clusterConverged}/${NODES}`,
  }))
  printTable(
    `bench:start — ${RUNS} solo runs per way, N = ${NODES}, ${IDLE_MS / 1000} s idle; load average (1/5/15 min) ${load(loadStart)} at start, ${load(loadEnd)} at end; targets: ready ≤ 400 ms, solo ≤ 80 MiB, N=20 ≤ 100 MiB/agent`,
    rows,
  )
  writeJsonIfAsked({
    runs: RUNS,
    nodes: NODES,
    idleMs: IDLE_MS,
    loadStart,
    loadEnd,
    results: [...results.values()],
  })
}

const deadline = setTimeout(() => {
  console.error('bench:start: global deadline passed')
  void killAllAgents().then(() => process.exit(1))
}, 20 * 60_000)
try {
  await main()
} finally {
  clearTimeout(deadline)
  await killAllAgents()
}
