/**
 * Plumbing for the bridge tests: meshes on the system clock (the store is real, so time is),
 * over the in-memory network, and waiting for a condition woken by change feeds, with a deadline.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import type { Etcd3 } from 'etcd3'
import { generateSigner } from '../../src/membership/identity.ts'
import { MemoryNetwork } from '../../src/memory/memory.ts'
import { localMeshConfig } from '../../src/mesh/config.ts'
import { Mesh } from '../../src/mesh/mesh.ts'
import { systemScheduler } from '../../src/mesh/scheduler.ts'
import { type Agent, LOOPBACK_FLAGS, REPO_ROOT, spawnAgent } from '../helpers/agent-process.ts'
import { DeadlineError, withDeadline } from '../helpers/deadline.ts'

export interface RealTimeMesh {
  readonly nodes: Mesh[]
  stop(): Promise<void>
}

/** `size` meshes on one in-memory network, on the system clock. */
export async function startRealTimeMesh(size: number): Promise<RealTimeMesh> {
  const network = new MemoryNetwork({ latencyMs: 1 })
  const nodes = Array.from({ length: size }, () => {
    const signer = generateSigner()
    return new Mesh({
      transport: network.createTransport(signer.ownerId),
      signer,
      scheduler: systemScheduler,
      config: localMeshConfig(),
    })
  })
  for (const node of nodes) await node.start()
  return {
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stop()))
    },
  }
}

/** Something that calls back on change; returns how to stop calling. */
export type Wake = (callback: () => void) => () => void

/** A Wake for the mesh's change feeds. */
export function meshWake(...nodes: Mesh[]): Wake {
  return (callback) => {
    const offs = nodes.map((node) => node.subscribe(callback))
    return () => {
      for (const off of offs) off()
    }
  }
}

/**
 * Resolves once `check` holds; re-checks whenever a wake source fires. Fails with DeadlineError
 * (with the last value `describe` gave) after `ms`.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  wakes: readonly Wake[],
  ms: number,
  what: string,
  describe: () => unknown = () => undefined,
): Promise<void> {
  let wake: () => void = () => undefined
  let pending = true
  const offs = wakes.map((w) =>
    w(() => {
      pending = true
      wake()
    }),
  )
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), ms)
  })
  try {
    for (;;) {
      const woken = new Promise<'woken'>((resolve) => {
        wake = () => resolve('woken')
        if (pending) resolve('woken')
      })
      if ((await Promise.race([woken, expired])) === 'expired') {
        throw new DeadlineError(
          `timed out after ${ms} ms: ${what}; last seen ${JSON.stringify(await describe())}`,
        )
      }
      pending = false
      if (await check()) return
    }
  } finally {
    clearTimeout(timer)
    for (const off of offs) off()
  }
}

/** Sorted copy, for comparing sets of strings. */
export function sorted(values: Iterable<string>): string[] {
  return [...values].sort()
}

/** Wakes on any change under `prefix` in etcd. */
export function etcdWake(client: Etcd3, prefix: string): Wake {
  return (callback) => {
    const watcher = client.watch().prefix(prefix).create()
    void watcher.then((w) => w.on('put', callback).on('delete', callback).on('connected', callback))
    return () => void watcher.then((w) => w.cancel())
  }
}

/** The keys and values under `prefix`, as a Go range read returns them. */
export function etcdKeys(client: Etcd3, prefix: string): Promise<Record<string, string>> {
  return client.getAll().prefix(prefix).strings()
}

/** A Wake for a bridge's changes of state: give `onStateChange` to createBridge. */
export function stateWake(): { wake: Wake; onStateChange: () => void } {
  let changed: () => void = () => undefined
  return {
    wake: (callback) => {
      changed = callback
      return () => {
        changed = () => undefined
      }
    },
    onStateChange: () => changed(),
  }
}

/**
 * A bridge in a process of its own (test/fixtures/bridge-process.ts) exporting `crash/c1`,
 * resolved once it printed "ready" (its export written).
 */
export async function spawnBridgeProcess(
  kind: 'etcd' | 'zookeeper' | 'consul',
  endpoint: string,
  prefix: string,
  ttlS: number,
): Promise<ChildProcessByStdio<null, Readable, null>> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fixtures/bridge-process.ts', kind, endpoint, prefix, String(ttlS)],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  child.stdout.setEncoding('utf8')
  let out = ''
  try {
    await withDeadline(
      new Promise<void>((resolve) => {
        child.stdout.on('data', (chunk: string) => {
          out += chunk
          if (out.includes('ready')) resolve()
        })
      }),
      20_000,
      'the bridge process is ready',
    )
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  return child
}

/** A real agent on loopback (local preset) registering web=127.0.0.1:8080, with the given bridge flags. */
export function spawnBridgedWebAgent(bridgeFlags: readonly string[]): Promise<Agent> {
  return spawnAgent([
    ...LOOPBACK_FLAGS,
    '--preset',
    'local',
    '--register',
    'web=127.0.0.1:8080',
    ...bridgeFlags,
  ])
}
