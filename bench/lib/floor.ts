/**
 * A cluster of bare libp2p processes (bare-node.mjs): the floor an agent's cost is measured
 * against. Started in batches like the agents, each bootstrapped to a few already up; stopped
 * by closing their stdin, and SIGKILLed by PID when that is not enough.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { LineLog, parseJsonLine } from '../../test/helpers/line-log.ts'
import { bootstrapFor } from './topology.ts'

const BARE_NODE = fileURLToPath(new URL('./bare-node.mjs', import.meta.url))
const READY_MS = 60_000

type FloorLine =
  | { type: 'ready'; peerId: string; address: string }
  | { type: 'peers'; count: number }
  | { type: 'sent' | 'seen'; id: string; at: number }

export interface FloorNode {
  readonly pid: number
  readonly address: string
  /** Publishes `bytes` random bytes every `ms` (0: stops). */
  publish(ms: number, bytes: number): void
  /** How many peers it is connected to. */
  peers(): Promise<number>
  /** Publishes a probe `id`; resolves with the instant it printed just before (ms since the epoch). */
  send(id: string): Promise<number>
  /** The instant probe `id` reached it (ms since the epoch), within `ms`. */
  seen(id: string, ms: number): Promise<number>
}

const running = new Set<ChildProcess>()

async function spawnFloorNode(bootstrap: readonly string[]): Promise<FloorNode> {
  const child = spawn(process.execPath, [BARE_NODE, '--print-messages', ...bootstrap], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  running.add(child)
  child.once('exit', () => running.delete(child))
  const lines = new LineLog<FloorLine>(
    child.stdout as NonNullable<typeof child.stdout>,
    parseJsonLine,
  )
  const ready = await lines.waitFor((l) => l.type === 'ready', READY_MS, `floor ${child.pid}`)
  if (ready.type !== 'ready') throw new Error('unreachable: waited for the ready line')
  const send = (line: string): void => {
    child.stdin?.write(`${line}\n`)
  }
  const answers = (): FloorLine[] => lines.items.filter((l) => l.type === 'peers')
  const stamp = async (type: 'sent' | 'seen', id: string, ms: number): Promise<number> => {
    const line = await lines.waitFor(
      (l) => l.type === type && l.id === id,
      ms,
      `floor ${child.pid} ${type} ${id}`,
    )
    return 'at' in line ? line.at : Number.NaN
  }
  return {
    pid: child.pid as number,
    address: ready.address,
    publish: (ms, bytes) => send(ms > 0 ? `publish ${ms} ${bytes}` : 'idle'),
    peers: async () => {
      const seen = answers().length
      send('peers')
      await lines.waitFor(() => answers().length > seen, 10_000, `floor ${child.pid} peers`)
      const answer = answers()[seen]
      return answer?.type === 'peers' ? answer.count : Number.NaN
    },
    send: (id) => {
      send(`send ${id}`)
      return stamp('sent', id, 10_000)
    },
    seen: (id, ms) => stamp('seen', id, ms),
  }
}

/** Starts `n` bare nodes, `batch` at a time, each bootstrapped to a few already up. */
export async function startFloor(n: number, batch: number): Promise<FloorNode[]> {
  const nodes: FloorNode[] = [await spawnFloorNode([])]
  while (nodes.length < n) {
    const up = [...nodes]
    const count = Math.min(batch, n - nodes.length)
    nodes.push(
      ...(await Promise.all(
        Array.from({ length: count }, (_, b) => spawnFloorNode(bootstrapFor(up.length + b, up))),
      )),
    )
  }
  return nodes
}

/** Stops every bare node this process started (see stopChildren). */
export function stopFloor(): Promise<void> {
  return stopChildren(running)
}

/** Stops child processes that exit when their stdin closes; SIGKILLs by PID those still up after 2 s. */
export async function stopChildren(children: Iterable<ChildProcess>): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          const timer = setTimeout(() => process.kill(child.pid as number, 'SIGKILL'), 2000)
          child.once('exit', () => {
            clearTimeout(timer)
            resolve()
          })
          child.stdin?.end()
        }),
    ),
  )
}
