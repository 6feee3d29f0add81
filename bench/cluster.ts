/**
 * bench:cluster: real agent processes on loopback (mDNS off, lan preset), joined by bootstrap.
 *
 *   npm run bench:cluster -- --nodes N [--registrations R] [--idle-seconds S] [--heartbeat MS]
 *                            [--json out.json]
 *
 * Measures, with every agent holding 10 instances:
 * - register → everywhere: from just before the control request on one agent until the last
 *   agent logged `created` (agents stamp each NDJSON event with their wall clock; one host, one
 *   clock), p50/p99 over R registrations spread over the agents; the same for deregistration.
 * - crash → removal: from kill -9 of one agent until every other agent logged `expired` for all
 *   its instances (the bound is TTL + one heartbeat).
 * - late join: a new agent bootstrapped to one node, from its first connection until it holds the
 *   full set (and from spawn, process start included).
 * - idle: CPU % of one core and bytes/s per agent over a quiet window (/proc), plus the mesh's own
 *   payload bytes/s from the agents' counters.
 * Every process is killed by PID at the end, on error and on a global deadline.
 */
import { loadavg } from 'node:os'
import { controlRequest } from '../src/cli/control-client.ts'
import { parseEndpoint } from '../src/cli/endpoint.ts'
import type { InstanceJson } from '../src/cli/json.ts'
import { lanMeshConfig } from '../src/mesh/config.ts'
import {
  type Agent,
  change,
  killAllAgents,
  LOOPBACK_FLAGS,
  spawnAgent,
  waitAll,
} from '../test/helpers/agent-process.ts'
import { rates, sampleProcess } from './lib/proc.ts'
import { bootstrapFor } from './lib/topology.ts'
import { argValue, printTable, type Row, writeJsonIfAsked } from './table.ts'

const NODES = Number(argValue('--nodes') ?? 5)
const REGISTRATIONS = Number(argValue('--registrations') ?? 20)
const IDLE_SECONDS = Number(argValue('--idle-seconds') ?? 10)
const INSTANCES_PER_NODE = 10
const SPAWN_BATCH = 4
const SETTLE_MS = 3000
const OP_DEADLINE_MS = 10_000
const GLOBAL_DEADLINE_MS = 10 * 60_000
const HEARTBEAT_FLAG = argValue('--heartbeat')
const TTL_MS = lanMeshConfig().defaultTtlMs
const HEARTBEAT_MS = Number(HEARTBEAT_FLAG ?? lanMeshConfig().heartbeatIntervalMs)

if (!Number.isInteger(NODES) || NODES < 2 || NODES > 40) {
  console.error('--nodes takes a whole number from 2 to 40')
  process.exit(2)
}

function key(owner: string, service: string, id: string): string {
  return `${owner}\n${service}\n${id}`
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
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

async function startCluster(): Promise<Agent[]> {
  const agents: Agent[] = [await spawnAgent(agentFlags(0, []))]
  while (agents.length < NODES) {
    const batch = Array.from(
      { length: Math.min(SPAWN_BATCH, NODES - agents.length) },
      (_, b) => agents.length + b,
    )
    const snapshot = [...agents]
    agents.push(...(await Promise.all(batch.map((i) => spawnAgent(agentFlags(i, snapshot))))))
  }
  const total = NODES * INSTANCES_PER_NODE
  await Promise.all(
    agents.map((a) =>
      a.events.waitFor(
        () => a.events.items.filter((e) => e.type === 'created').length >= total,
        60_000,
        `agent ${a.pid} holding all ${total} instances`,
      ),
    ),
  )
  return agents
}

async function control<T>(agent: Agent, method: 'GET' | 'POST', path: string, body?: unknown) {
  return controlRequest<T>(parseEndpoint(agent.control), method, path, body)
}

async function spread(
  agents: readonly Agent[],
  type: 'registered' | 'deregistered',
): Promise<number[]> {
  const samples: number[] = []
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
    const events = await waitAll(
      agents,
      change(type === 'registered' ? 'created' : 'deleted', k),
      OP_DEADLINE_MS,
      `bench/r${r} ${type}`,
    )
    samples.push(lastAt(events as { at?: number }[]) - start)
  }
  return samples
}

async function idle(
  agents: readonly Agent[],
): Promise<{ cpu: number[]; bytes: number[]; payload: number[]; changes: number }> {
  type Stats = { stats: { bytesSent: number } }
  const linesBefore = agents.map((a) => a.events.items.length)
  const before = await Promise.all(agents.map((a) => sampleProcess(a.pid)))
  const sentBefore = await Promise.all(agents.map((a) => control<Stats>(a, 'GET', '/v1/status')))
  const t0 = performance.now()
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000))
  const after = await Promise.all(agents.map((a) => sampleProcess(a.pid)))
  const sentAfter = await Promise.all(agents.map((a) => control<Stats>(a, 'GET', '/v1/status')))
  const seconds = (performance.now() - t0) / 1000
  const measured = agents.map((_, i) => rates(before[i] as never, after[i] as never))
  return {
    cpu: measured.map((m) => m.cpuPercent),
    bytes: measured.map((m) => m.bytesPerSecond),
    // Instances expiring and coming back while nothing changes: the sign of a starved host.
    changes: agents.reduce(
      (sum, a, i) => sum + a.events.items.length - (linesBefore[i] as number),
      0,
    ),
    payload: agents.map(
      (_, i) =>
        ((sentAfter[i] as Stats).stats.bytesSent - (sentBefore[i] as Stats).stats.bytesSent) /
        seconds,
    ),
  }
}

async function crash(agents: Agent[]): Promise<number> {
  const victim = agents.pop() as Agent
  const { instances } = await control<{ instances: InstanceJson[] }>(victim, 'GET', '/v1/services')
  const keys = instances.filter((i) => i.owner === victim.peerId).map((i) => i.key)
  const start = Date.now()
  victim.kill('SIGKILL')
  const events = await Promise.all(
    keys.map((k) => waitAll(agents, change('expired', k), TTL_MS * 3, `expiry of ${k}`)),
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
  const late = await spawnAgent([...agentBase(), '--bootstrap', (agents[0] as Agent).address])
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
  const started = performance.now()
  const loadStart = loadavg()[0]?.toFixed(1)
  const agents = await startCluster()
  // Let gossipsub form its meshes (grafts happen on its 1 s heartbeat) before measuring the
  // steady state; the first registrations after a cold start are measured by late join instead.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
  console.log(
    `${NODES} agents up with ${INSTANCES_PER_NODE} instances each in ${Math.round(performance.now() - started)} ms`,
  )
  const register = await spread(agents, 'registered')
  const deregister = await spread(agents, 'deregistered')
  const idleStats = await idle(agents)
  const crashMs = await crash(agents)
  const join = await lateJoin(agents)
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length
  const rows: Row[] = [
    { metric: 'register → all nodes p50 (ms)', value: percentile(register, 50), target: '≤ 50' },
    { metric: 'register → all nodes p99 (ms)', value: percentile(register, 99), target: '≤ 250' },
    {
      metric: 'deregister → all nodes p50 (ms)',
      value: percentile(deregister, 50),
      target: '≤ 50',
    },
    {
      metric: 'deregister → all nodes p99 (ms)',
      value: percentile(deregister, 99),
      target: '≤ 250',
    },
    {
      metric: 'crash (kill -9) → removed everywhere (ms)',
      value: crashMs,
      target: `≤ ${TTL_MS + HEARTBEAT_MS}`,
    },
    { metric: 'late join: first connection → full set (ms)', value: join.fromConnect, target: '-' },
    { metric: 'late join: spawn → full set (ms)', value: join.fromSpawn, target: '-' },
    { metric: 'idle CPU per node, mean (% of a core)', value: mean(idleStats.cpu), target: '< 2' },
    {
      metric: 'idle CPU per node, max (% of a core)',
      value: Math.max(...idleStats.cpu),
      target: '< 2',
    },
    {
      metric: 'idle bytes written/s per node, mean',
      value: Math.round(mean(idleStats.bytes)),
      target: '-',
    },
    {
      metric: 'idle mesh payload bytes/s per node, mean',
      value: Math.round(mean(idleStats.payload)),
      target: '-',
    },
    { metric: 'changes logged while idle (all nodes)', value: idleStats.changes, target: '0' },
    {
      metric: 'host load average (1 min), start / end',
      value: `${loadStart} / ${loadavg()[0]?.toFixed(1)}`,
      target: '-',
    },
  ]
  printTable(
    `bench:cluster: ${NODES} agents, ${INSTANCES_PER_NODE} instances each, lan preset (TTL ${TTL_MS} ms, heartbeat ${HEARTBEAT_MS} ms), ${REGISTRATIONS} registrations`,
    rows,
  )
  writeJsonIfAsked({
    nodes: NODES,
    instancesPerNode: INSTANCES_PER_NODE,
    preset: 'lan',
    ttlMs: TTL_MS,
    heartbeatMs: HEARTBEAT_MS,
    registerMs: register,
    deregisterMs: deregister,
    crashRemovalMs: crashMs,
    lateJoinMs: join,
    idleCpuPercent: idleStats.cpu,
    idleChanges: idleStats.changes,
    idleBytesPerSecond: idleStats.bytes,
    idlePayloadBytesPerSecond: idleStats.payload,
    summary: rows,
  })
}

const watchdog = setTimeout(() => {
  console.error(`bench:cluster: global deadline of ${GLOBAL_DEADLINE_MS} ms passed`)
  void killAllAgents().finally(() => process.exit(1))
}, GLOBAL_DEADLINE_MS)
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void killAllAgents().finally(() => process.exit(130)))

try {
  await main()
} catch (err) {
  console.error(err)
  process.exitCode = 1
} finally {
  clearTimeout(watchdog)
  await killAllAgents()
}
