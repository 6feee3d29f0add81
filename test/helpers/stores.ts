/**
 * Real etcd and ZooKeeper servers for the bridge tests: each on free loopback ports of its own,
 * with its own data directory in a temp dir, ready once its port answers (polled with a
 * deadline), stopped by PID. `kill` sends a signal by PID (SIGKILL for a crash) and `restart`
 * starts the same server again on the same ports and data.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Etcd3 } from 'etcd3'
import { DeadlineError } from './deadline.ts'

export interface StoreServer {
  /** The client address: "http://127.0.0.1:PORT" for etcd, "127.0.0.1:PORT" for ZooKeeper. */
  readonly endpoint: string
  readonly pid: number
  /** Sends `signal` to the server by PID and resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts the server again (same ports, same data) and resolves once it is ready. */
  restart(): Promise<void>
  /** Stops the server and removes its data. */
  stop(): Promise<void>
}

/** A loopback TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Polls `probe` until it resolves true, failing with DeadlineError after `ms`. */
async function pollUntil(probe: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await probe().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new DeadlineError(`timed out after ${ms} ms: ${what}`)
}

/** Bound on one readiness probe's socket: a server starting under load may accept and stay mute. */
const PROBE_MS = 1000

/** True once something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    socket.setTimeout(PROBE_MS, () => socket.destroy())
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => undefined) // 'close' follows
    socket.once('close', () => resolve(false))
  })
}

/** True once etcd's /health says so and a gRPC client gets an answer (a fresh client each time). */
async function etcdHealthy(endpoint: string): Promise<boolean> {
  const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) })
  if (!res.ok || ((await res.json()) as { health?: string }).health !== 'true') return false
  const client = new Etcd3({ hosts: endpoint, dialTimeout: 1000 })
  try {
    await client.maintenance.status({ deadline: Date.now() + 1000 })
    return true
  } finally {
    client.close()
  }
}

/** True once ZooKeeper answers the `ruok` four-letter word with `imok`. */
function zooKeeperOk(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    // A ZooKeeper that is still starting can take the connection and never answer nor close it
    // (seen under load: the probe, and so the whole file, waited forever).
    socket.setTimeout(PROBE_MS, () => socket.destroy())
    let reply = ''
    socket.setEncoding('utf8')
    socket.once('connect', () => socket.write('ruok'))
    socket.on('data', (chunk: string) => {
      reply += chunk
    })
    socket.once('error', () => undefined) // 'close' follows
    socket.once('close', () => resolve(reply === 'imok'))
  })
}

class ServerProcess implements StoreServer {
  readonly endpoint: string
  readonly #start: () => ChildProcess
  readonly #ready: () => Promise<boolean>
  readonly #dir: string
  readonly #name: string
  #child: ChildProcess | undefined
  #exited: Promise<void> = Promise.resolve()
  #log = ''

  constructor(
    name: string,
    endpoint: string,
    dir: string,
    start: () => ChildProcess,
    ready: () => Promise<boolean>,
  ) {
    this.#name = name
    this.endpoint = endpoint
    this.#dir = dir
    this.#start = start
    this.#ready = ready
  }

  get pid(): number {
    return this.#child?.pid ?? -1
  }

  async restart(readyMs = 30_000): Promise<void> {
    const child = this.#start()
    this.#child = child
    child.stdout?.setEncoding('utf8').on('data', (s: string) => this.#keep(s))
    child.stderr?.setEncoding('utf8').on('data', (s: string) => this.#keep(s))
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => resolve())
      // A missing binary: say what to install (in the error below) instead of crashing the file.
      child.once('error', (err) => {
        this.#keep(`${err.message}: install Debian's etcd-server and zookeeper, as .ci/run does\n`)
        resolve()
      })
    })
    try {
      await pollUntil(this.#ready, readyMs, `${this.#name} ready at ${this.endpoint}`)
    } catch (err) {
      await this.kill('SIGKILL')
      throw new Error(`${(err as Error).message}\n${this.#log.slice(-2000)}`)
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, signal)
    }
    await this.#exited
  }

  async stop(): Promise<void> {
    await this.kill('SIGKILL')
    rmSync(this.#dir, { recursive: true, force: true })
  }

  #keep(text: string): void {
    this.#log = (this.#log + text).slice(-8000)
  }
}

/** Starts a one-member etcd cluster on loopback. */
export async function startEtcd(): Promise<StoreServer> {
  const [client, peer] = [await freePort(), await freePort()]
  const dir = mkdtempSync(join(tmpdir(), 'gossip-sd-etcd-'))
  const endpoint = `http://127.0.0.1:${client}`
  const peerUrl = `http://127.0.0.1:${peer}`
  const server = new ServerProcess(
    'etcd',
    endpoint,
    dir,
    () =>
      spawn(
        'etcd',
        [
          '--name',
          'test',
          '--data-dir',
          join(dir, 'data'),
          '--listen-client-urls',
          endpoint,
          '--advertise-client-urls',
          endpoint,
          '--listen-peer-urls',
          peerUrl,
          '--initial-advertise-peer-urls',
          peerUrl,
          '--initial-cluster',
          `test=${peerUrl}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    () => etcdHealthy(endpoint),
  )
  await server.restart()
  return server
}

/** Starts a standalone ZooKeeper on loopback (admin server and JMX off, `ruok` allowed). */
export async function startZooKeeper(): Promise<StoreServer> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'gossip-sd-zk-'))
  writeFileSync(
    join(dir, 'zoo.cfg'),
    [
      'tickTime=500',
      'minSessionTimeout=1000',
      'maxSessionTimeout=60000',
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok',
      '',
    ].join('\n'),
  )
  const server = new ServerProcess(
    'ZooKeeper',
    `127.0.0.1:${port}`,
    dir,
    () =>
      spawn('/usr/share/zookeeper/bin/zkServer.sh', ['start-foreground', join(dir, 'zoo.cfg')], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, JMXDISABLE: 'true', ZOO_LOG_DIR: dir },
      }),
    async () => (await accepts(port)) && (await zooKeeperOk(port)),
  )
  await server.restart()
  return server
}
