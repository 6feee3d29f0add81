/**
 * A gossip-sd agent (`src/cli/main.ts agent --json`) running in a test namespace, seen through
 * its NDJSON stdout: the instance set it holds and the peers it is connected to, rebuilt from
 * every event it prints. Tests await states of that view (`until`), never sleep. The control
 * commands (`register`, ...) run in the agent's namespace and reach it over its unix socket.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Host, isRecord, type TestNetwork } from './harness.ts'
import { WatchedProcess } from './watched.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const CLI = join(REPO, 'src', 'cli', 'main.ts')
/** Until the ready line: tsx compiles the sources and libp2p loads, several agents at once. */
const STARTUP_MS = 30_000
/** For a control command to finish, and for an agent to stop after SIGTERM. */
const COMMAND_MS = 15_000

/** The fields of an instance the tests look at. */
export interface InstanceView {
  readonly service: string
  readonly id: string
  readonly owner: string
}

export type AgentEvent =
  | { type: 'ready'; peerId: string; addresses: string[]; control: string }
  | {
      type: 'created' | 'updated' | 'deleted' | 'expired'
      instance: InstanceView
      /** The agent's wall clock when it printed the change (ms). */
      at: number
    }
  | { type: 'peer'; event: 'connected' | 'disconnected'; peer: string }

export interface AgentOptions {
  /** Directory for the agent's control socket (`<label>.sock`). */
  controlDir: string
  /** Cluster name: gossip topic and discovery scope. */
  cluster: string
  /** Discover peers by mDNS on the namespace's network. */
  mdns: boolean
  /** Multiaddrs to dial at start. @default [] */
  bootstrap?: readonly string[]
  /** `NAME=ADDRESS` services to register at start. @default [] */
  register?: readonly string[]
}

export class Agent {
  readonly label: string
  readonly process: WatchedProcess
  /** Every event the agent printed, in order. */
  readonly events: AgentEvent[] = []
  readonly #instances = new Map<string, InstanceView>()
  readonly #peers = new Set<string>()
  #ready: Extract<AgentEvent, { type: 'ready' }> | undefined

  private constructor(
    readonly net: TestNetwork,
    readonly host: Host,
    options: AgentOptions,
  ) {
    this.label = `agent ${host.label}`
    const argv = [
      ...['agent', '--json', '--preset', 'local', '--cluster', options.cluster],
      ...['--listen', `/ip4/${host.address}/tcp/0`],
      ...['--control', join(options.controlDir, `${host.label}.sock`)],
      ...(options.mdns ? [] : ['--no-mdns']),
      ...(options.bootstrap ?? []).flatMap((address) => ['--bootstrap', address]),
      ...(options.register ?? []).flatMap((service) => ['--register', service]),
    ]
    this.process = new WatchedProcess(this.label, spawnCli(net, host, argv), {
      onLine: (line) => this.#apply(line),
      describe: () => this.#describe(),
    })
  }

  /** Starts an agent in `host`'s namespace and waits for its ready line. */
  static async start(net: TestNetwork, host: Host, options: AgentOptions): Promise<Agent> {
    const agent = new Agent(net, host, options)
    await agent.until('the ready line', () => agent.#ready !== undefined, STARTUP_MS)
    return agent
  }

  get peerId(): string {
    return this.#readyEvent().peerId
  }

  /** The multiaddrs the agent listens on, each ending in /p2p/<peerId>. */
  get addresses(): readonly string[] {
    return this.#readyEvent().addresses
  }

  get control(): string {
    return this.#readyEvent().control
  }

  /** True if the agent holds a live instance of `service` owned by `owner` (with `id`, if given). */
  has(owner: Agent, service: string, id?: string): boolean {
    return [...this.#instances.values()].some(
      (i) => i.owner === owner.peerId && i.service === service && (id === undefined || i.id === id),
    )
  }

  /**
   * True if the agent printed a `type` event for `owner`'s instance of `service`: `expired` when
   * its TTL ran out here, `deleted` when a tombstone arrived.
   */
  saw(type: 'expired' | 'deleted', owner: Agent, service: string): boolean {
    return this.seenAt(type, owner, service) !== undefined
  }

  /** When (the agent's wall clock, ms) it first printed a `type` event for `owner`'s `service`. */
  seenAt(type: 'expired' | 'deleted', owner: Agent, service: string): number | undefined {
    const event = this.events.find(
      (e) => e.type === type && e.instance.owner === owner.peerId && e.instance.service === service,
    )
    return event !== undefined && 'at' in event ? event.at : undefined
  }

  connectedTo(other: Agent): boolean {
    return this.#peers.has(other.peerId)
  }

  /** Waits until `done()` holds for this agent's view; see WatchedProcess.until. */
  until(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
    return this.process.until(what, done, timeoutMs)
  }

  /** `register NAME=ADDRESS --id ID` through the agent's control endpoint. */
  async register(service: string, address: string, id: string): Promise<void> {
    const argv = ['register', `${service}=${address}`, '--id', id, '--control', this.control]
    const command = new WatchedProcess(
      `register on ${this.host.label}`,
      spawnCli(this.net, this.host, argv),
    )
    const code = await command.exited(COMMAND_MS)
    if (code !== 0) throw new Error(`register exited with ${code}: ${command.stderr}`)
  }

  /** SIGTERM, then the exit code once the agent has stopped. */
  stop(): Promise<number | null> {
    this.process.child.kill('SIGTERM')
    return this.process.exited(COMMAND_MS)
  }

  #readyEvent(): Extract<AgentEvent, { type: 'ready' }> {
    if (this.#ready === undefined) throw new Error(`${this.label} is not ready`)
    return this.#ready
  }

  #apply(line: string): void {
    const event = parseEvent(line)
    if (event === undefined) {
      this.process.fail(`broke the --json contract with the line ${JSON.stringify(line)}`)
      return
    }
    if (event === 'unknown') return
    this.events.push(event)
    switch (event.type) {
      case 'ready':
        this.#ready = event
        hostOfPeer.set(event.peerId, this.host.label)
        break
      case 'created':
      case 'updated':
        this.#instances.set(keyOf(event.instance), event.instance)
        break
      case 'deleted':
      case 'expired':
        this.#instances.delete(keyOf(event.instance))
        break
      case 'peer':
        if (event.event === 'connected') this.#peers.add(event.peer)
        else this.#peers.delete(event.peer)
        break
    }
  }

  #describe(): string {
    const instances = [...this.#instances.values()].map(
      (i) => `${i.service}/${i.id}@${short(i.owner)}`,
    )
    return [
      `peer ${this.#ready?.peerId ?? '(not ready)'}`,
      `instances [${instances.join(', ')}]`,
      `connected to [${[...this.#peers].map(short).join(', ')}]`,
    ].join('; ')
  }
}

/** Runs the CLI with `argv` in `host`'s namespace, from the repository so tsx resolves. */
function spawnCli(net: TestNetwork, host: Host, argv: readonly string[]) {
  return net.spawnIn(host, [process.execPath, '--import', 'tsx', CLI, ...argv], { cwd: REPO })
}

function keyOf(instance: InstanceView): string {
  return `${instance.owner}/${instance.service}/${instance.id}`
}

/** Host labels of the agents started in this process, by peer ID, for failure messages. */
const hostOfPeer = new Map<string, string>()

/** A peer ID as messages show it: its agent's host label, else its last 6 characters. */
function short(peerId: string): string {
  return hostOfPeer.get(peerId) ?? `…${peerId.slice(-6)}`
}

/**
 * One NDJSON line as an event; 'unknown' for a well-formed event of a type the tests do not use
 * (the agent may print more kinds later); undefined if the line breaks the contract.
 */
function parseEvent(line: string): AgentEvent | 'unknown' | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  if (!isRecord(value) || typeof value.type !== 'string') return undefined
  const { type } = value
  switch (type) {
    case 'ready': {
      const { peerId, addresses, control } = value
      return typeof peerId === 'string' && isStrings(addresses) && typeof control === 'string'
        ? { type, peerId, addresses, control }
        : undefined
    }
    case 'created':
    case 'updated':
    case 'deleted':
    case 'expired':
      return isInstance(value.instance) && typeof value.at === 'number'
        ? { type, instance: value.instance, at: value.at }
        : undefined
    case 'peer': {
      const { event, peer } = value
      return (event === 'connected' || event === 'disconnected') && typeof peer === 'string'
        ? { type, event, peer }
        : undefined
    }
    default:
      return 'unknown'
  }
}

function isInstance(value: unknown): value is InstanceView {
  return (
    isRecord(value) &&
    typeof value.service === 'string' &&
    typeof value.id === 'string' &&
    typeof value.owner === 'string'
  )
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}
