/**
 * bench:soak (not in CI): agent processes on loopback (mDNS off, lan preset) under continuous
 * register/deregister churn for a set time, watched for leaks and drift.
 *
 *   npm run bench:soak -- [--minutes 10] [--nodes 10] [--ops-per-second 10] [--json out.json]
 *
 * Every sample (30 over the run, at least 5 s apart) reads from each agent: heap used and RSS
 * (its /v1/status), the live heap (heap used right after a full GC, through the inspector:
 * lib/live-heap.ts; heap used alone also counts garbage not yet collected), open file descriptors (/proc/PID/fd), state size (live instances, statements
 * held, owners) and divergence: how many instance keys its view differs by from the truth, the
 * union of what each agent says it owns itself. The table shows the mean over agents (the
 * maximum for divergence); the verdict fits a line to each series over the last half of the run
 * and calls it flat when the line moves less than max(10 % of the series' mean, a floor) over
 * that half. Churn keeps each agent between 5 and 15 instances of its own, 10 on average, so
 * every series should be stationary; a leak shows as a drift. One more sample, taken once the
 * churn has stopped, is shown but not judged: there statements held fall to the live instances
 * when the run's tombstones are reclaimed.
 */
import { readdir } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { controlRequest } from '../src/cli/control-client.ts'
import { parseEndpoint } from '../src/cli/endpoint.ts'
import type { InstanceJson } from '../src/cli/json.ts'
import { seededRandom } from '../src/util/random.ts'
import {
  type Agent,
  killAllAgents,
  LOOPBACK_FLAGS,
  spawnAgent,
} from '../test/helpers/agent-process.ts'
import { INSPECTABLE_LAUNCHER, liveHeapBytes } from './lib/live-heap.ts'
import { bootstrapFor } from './lib/topology.ts'
import { argValue, printTable, type Row, writeJsonIfAsked } from './table.ts'

const MINUTES = Number(argValue('--minutes') ?? 10)
const NODES = Number(argValue('--nodes') ?? 10)
const OPS_PER_SECOND = Number(argValue('--ops-per-second') ?? 10)
const SAMPLES = 30
const MIN_OWN = 5
const MAX_OWN = 15

if (!(MINUTES > 0) || !Number.isInteger(NODES) || NODES < 2 || !(OPS_PER_SECOND > 0)) {
  console.error(
    '--minutes takes a positive number, --nodes a whole number ≥ 2, --ops-per-second a positive number',
  )
  process.exit(2)
}

interface Status {
  process: { heapUsedBytes: number; rssBytes: number; heldStatements: number; owners: number }
}

interface Sample {
  minute: number
  heapMb: number
  liveHeapMb: number
  rssMb: number
  fds: number
  instances: number
  held: number
  beyondLive: number
  owners: number
  divergence: number
}

/** What each series is called, and the smallest drift over the last half that is not flat. */
const SERIES: ReadonlyArray<[keyof Sample, string, number]> = [
  ['heapMb', 'heap used (MB, mean)', 2],
  ['liveHeapMb', 'live heap: after full GC (MB, mean)', 2],
  ['rssMb', 'RSS (MB, mean)', 4],
  ['fds', 'open fds (mean)', 2],
  ['instances', 'live instances (mean)', 5],
  ['held', 'statements held (mean)', 10],
  ['beyondLive', 'held − live: tombstones (mean)', 10],
  ['owners', 'owners held (mean)', 1],
  ['divergence', 'divergence (max keys)', 3],
]

function control<T>(agent: Agent, method: 'GET' | 'POST', path: string, body?: unknown) {
  return controlRequest<T>(parseEndpoint(agent.control), method, path, body)
}

async function startCluster(): Promise<Agent[]> {
  const agents: Agent[] = []
  for (let i = 0; i < NODES; i++)
    agents.push(
      await spawnAgent(
        [...LOOPBACK_FLAGS, '--preset', 'lan', ...bootstrapFor(i, agents)],
        undefined,
        INSPECTABLE_LAUNCHER,
      ),
    )
  return agents
}

/** Registers and deregisters at a steady rate until `until`; returns the operations done. */
async function churn(agents: readonly Agent[], until: number): Promise<number> {
  const random = seededRandom(7)
  const own = new Map<Agent, string[]>(agents.map((a) => [a, []]))
  let serial = 0
  let done = 0
  const gapMs = 1000 / OPS_PER_SECOND
  while (performance.now() < until) {
    const started = performance.now()
    const agent = agents[Math.floor(random() * agents.length)] as Agent
    const ids = own.get(agent) as string[]
    // Mean-reverting: the fuller an agent, the likelier a removal, so state stays stationary.
    const removing = random() < (ids.length - MIN_OWN) / (MAX_OWN - MIN_OWN)
    if (removing) {
      const [id] = ids.splice(Math.floor(random() * ids.length), 1)
      await control(agent, 'POST', '/v1/deregister', { service: 'soak', id })
    } else {
      const id = `s${serial++}`
      await control(agent, 'POST', '/v1/register', {
        service: 'soak',
        id,
        addresses: [`127.0.0.1:${10_000 + (serial % 50_000)}`],
      })
      ids.push(id)
    }
    done++
    const wait = gapMs - (performance.now() - started)
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  }
  return done
}

async function sample(agents: readonly Agent[], startedAt: number): Promise<Sample> {
  const views = await Promise.all(
    agents.map(async (agent) => {
      const [status, services, fds] = await Promise.all([
        control<Status>(agent, 'GET', '/v1/status'),
        control<{ instances: InstanceJson[] }>(agent, 'GET', '/v1/services'),
        readdir(`/proc/${agent.pid}/fd`),
      ])
      // After the status read, so its heap used is the collector's, not ours.
      const liveHeap = await liveHeapBytes(agent)
      return { agent, status, instances: services.instances, fds: fds.length, liveHeap }
    }),
  )
  const truth = new Set(
    views.flatMap((v) => v.instances.filter((i) => i.owner === v.agent.peerId).map((i) => i.key)),
  )
  const divergence = views.map((v) => {
    const keys = new Set(v.instances.map((i) => i.key))
    return (
      [...keys].filter((k) => !truth.has(k)).length + [...truth].filter((k) => !keys.has(k)).length
    )
  })
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length
  return {
    minute: (performance.now() - startedAt) / 60_000,
    heapMb: mean(views.map((v) => v.status.process.heapUsedBytes / 2 ** 20)),
    liveHeapMb: mean(views.map((v) => v.liveHeap / 2 ** 20)),
    rssMb: mean(views.map((v) => v.status.process.rssBytes / 2 ** 20)),
    fds: mean(views.map((v) => v.fds)),
    instances: mean(views.map((v) => v.instances.length)),
    held: mean(views.map((v) => v.status.process.heldStatements)),
    beyondLive: mean(views.map((v) => v.status.process.heldStatements - v.instances.length)),
    owners: mean(views.map((v) => v.status.process.owners)),
    divergence: Math.max(...divergence),
  }
}

/** Least-squares slope of `values` against `xs`. */
function slope(xs: readonly number[], values: readonly number[]): number {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = values.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((values[i] as number) - my)
    den += ((xs[i] as number) - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

function verdicts(samples: readonly Sample[]): Row[] {
  const half = samples.slice(Math.floor(samples.length / 2))
  const span = (half.at(-1)?.minute ?? 0) - (half[0]?.minute ?? 0)
  return SERIES.map(([field, name, floor]) => {
    const values = half.map((s) => s[field])
    const mean = values.reduce((a, b) => a + b, 0) / values.length
    const perMinute = slope(
      half.map((s) => s.minute),
      values,
    )
    const drift = perMinute * span
    return {
      series: name,
      first: samples[0]?.[field] ?? Number.NaN,
      last: samples.at(-1)?.[field] ?? Number.NaN,
      'slope/min (last half)': perMinute,
      'drift over last half': drift,
      flat: Math.abs(drift) <= Math.max(0.1 * Math.abs(mean), floor) ? 'yes' : 'NO',
    }
  })
}

async function main(): Promise<void> {
  const loadStart = loadavg().map((l) => l.toFixed(1))
  const agents = await startCluster()
  const startedAt = performance.now()
  const until = startedAt + MINUTES * 60_000
  const every = Math.max(5000, (MINUTES * 60_000) / SAMPLES)
  const samples: Sample[] = []
  const churning = churn(agents, until)
  while (performance.now() < until) {
    samples.push(await sample(agents, startedAt))
    const next = startedAt + samples.length * every
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())))
  }
  const ops = await churning
  // Taken after the churn ended: the verdicts read only the samples under churn, and this one
  // shows whether the tombstones and expired records of the run are reclaimed once it stops.
  const drained = await sample(agents, startedAt)
  const loadEnd = loadavg().map((l) => l.toFixed(1))
  printTable(
    `bench:soak: ${NODES} agents, ${MINUTES} min, ${ops} operations (${(ops / (MINUTES * 60)).toFixed(1)}/s); load ${loadStart.join(' ')} → ${loadEnd.join(' ')}`,
    [...samples, drained].map((s) => ({ ...s })),
  )
  const summary = verdicts(samples)
  printTable('bench:soak: flat over the last half?', summary)
  writeJsonIfAsked({
    nodes: NODES,
    minutes: MINUTES,
    operations: ops,
    load: { start: loadStart, end: loadEnd },
    samples,
    drained,
    summary,
  })
}

const deadline = setTimeout(
  () => {
    console.error('bench:soak: deadline passed')
    void killAllAgents().finally(() => process.exit(1))
  },
  MINUTES * 60_000 + 5 * 60_000,
)
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void killAllAgents().finally(() => process.exit(130)))
try {
  await main()
} finally {
  clearTimeout(deadline)
  await killAllAgents()
}
