/**
 * bench:election: leader failover time, in-process meshes over MemoryNetwork on real time
 * (systemScheduler) with LAN-like latency.
 *
 *   npm run bench:election -- [--nodes N] [--trials T] [--preset local|lan] [--latency MS]
 *                             [--jitter MS] [--json out.json]
 *
 * Each trial starts N meshes with an election each, registers one instance of a service per
 * node, waits until every node names the oldest, then makes its owner leave and
 * measures (exiting at a random phase of the heartbeat cycle), on every surviving node, the
 * time until its election names the next-oldest:
 * - crash: the leader's node stops without sending anything (kill -9); bound TTL + heartbeat;
 * - graceful: the leader's instance is deregistered; bound one propagation;
 * both in default mode and in quorum mode (expectedNodes = N; crash adds the handover delay G).
 */
import { performance } from 'node:perf_hooks'
import type { RegistrationHandle } from '../src/contract.ts'
import {
  compareByAge,
  createElection,
  type Election,
  handoverDelayMs,
} from '../src/election/index.ts'
import { DEFAULT_MAX_CLOCK_DRIFT_RATIO } from '../src/election/options.ts'
import { generateSigner } from '../src/membership/identity.ts'
import { MemoryNetwork } from '../src/memory/memory.ts'
import { lanMeshConfig, localMeshConfig, type MeshConfig } from '../src/mesh/config.ts'
import { Mesh } from '../src/mesh/mesh.ts'
import { systemScheduler } from '../src/mesh/scheduler.ts'
import { argValue, printTable, type Row, writeJsonIfAsked } from './table.ts'

const NODES = Number(argValue('--nodes') ?? 5)
const TRIALS = Number(argValue('--trials') ?? 5)
const PRESET = argValue('--preset') ?? 'local'
const LATENCY_MS = Number(argValue('--latency') ?? 1)
const JITTER_MS = Number(argValue('--jitter') ?? 1)
const config: MeshConfig = PRESET === 'lan' ? lanMeshConfig() : localMeshConfig()
const { defaultTtlMs: TTL, heartbeatIntervalMs: HEARTBEAT } = config
const QUORUM = { expectedNodes: NODES, maxClockDriftRatio: DEFAULT_MAX_CLOCK_DRIFT_RATIO }
const G = handoverDelayMs(TTL, QUORUM)

type Exit = 'crash' | 'graceful'

interface Member {
  mesh: Mesh
  election: Election
  handle: RegistrationHandle
}

/** Resolves when `check()` holds after an election event on any member, or rejects at `ms`. */
function until(members: readonly Member[], check: () => boolean, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const offs: Array<() => void> = []
    const done = (err?: Error): void => {
      clearTimeout(timer)
      for (const off of offs) off()
      if (err === undefined) resolve()
      else reject(err)
    }
    const timer = setTimeout(() => done(new Error(`no agreement within ${ms} ms`)), ms)
    for (const m of members) offs.push(m.election.subscribe(() => check() && done()))
    if (check()) done()
  })
}

async function trial(exit: Exit, quorum: boolean, seed: number): Promise<number[]> {
  const net = new MemoryNetwork({ latencyMs: LATENCY_MS, jitterMs: JITTER_MS, seed })
  const members: Member[] = []
  for (let i = 0; i < NODES; i++) {
    const signer = generateSigner()
    const mesh = new Mesh({
      transport: net.createTransport(signer.ownerId),
      signer,
      scheduler: systemScheduler,
      config,
    })
    await mesh.start()
    const election = createElection(mesh, quorum ? { quorum: QUORUM } : {})
    const handle = await mesh.register({ service: 'svc', id: `n${i}`, addresses: [`:${9000 + i}`] })
    members.push({ mesh, election, handle })
  }
  try {
    members.sort((a, b) => compareByAge(a.handle.instance, b.handle.instance))
    const [leader, next] = members as [Member, Member]
    const names = (m: Member, h: RegistrationHandle) =>
      m.election.leader('svc')?.instance.key === h.key
    await until(members, () => members.every((m) => names(m, leader.handle)), 3 * G + 5000)
    const survivors = members.slice(1)
    const switched = survivors.map(
      (m) =>
        new Promise<number>((resolve) => {
          const off = m.election.subscribe(() => {
            if (!names(m, next.handle)) return
            off()
            resolve(performance.now())
          })
        }),
    )
    // Exit at a random phase of the heartbeat cycle, as a real failure would.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * HEARTBEAT))
    const start = performance.now()
    if (exit === 'crash') {
      leader.election.close()
      await leader.mesh.transport.stop()
      await leader.mesh.stop()
    } else {
      await leader.handle.deregister()
    }
    await until(
      survivors,
      () => survivors.every((m) => names(m, next.handle)),
      2 * (TTL + G) + 5000,
    )
    return (await Promise.all(switched)).map((at) => at - start)
  } finally {
    for (const m of members) {
      m.election.close()
      await m.mesh.stop()
    }
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

const rows: Row[] = []
for (const quorum of [false, true]) {
  for (const exit of ['graceful', 'crash'] as const) {
    const samples: number[] = []
    for (let t = 0; t < TRIALS; t++) samples.push(...(await trial(exit, quorum, t + 1)))
    samples.sort((a, b) => a - b)
    const bound =
      exit === 'graceful'
        ? `one propagation (${LATENCY_MS}+${JITTER_MS} ms)`
        : `${TTL + HEARTBEAT + (quorum ? G : 0)} ms`
    rows.push({
      mode: quorum ? `quorum (N=${NODES})` : 'default',
      exit,
      samples: samples.length,
      'p50 ms': percentile(samples, 50),
      'p95 ms': percentile(samples, 95),
      'max ms': samples.at(-1) as number,
      bound,
    })
  }
}
printTable(
  `Leader failover: ${NODES} nodes, ${PRESET} preset (TTL ${TTL} ms, heartbeat ${HEARTBEAT} ms), ` +
    `latency ${LATENCY_MS}±${JITTER_MS} ms, ${TRIALS} trials; time until every survivor names the next-oldest`,
  rows,
)
writeJsonIfAsked({
  nodes: NODES,
  trials: TRIALS,
  preset: PRESET,
  ttlMs: TTL,
  heartbeatMs: HEARTBEAT,
  handoverMs: G,
  rows,
})
