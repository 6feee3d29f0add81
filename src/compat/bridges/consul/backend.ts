/**
 * The Consul store behind a bridge, on Consul's HTTP API (api.ts) at one agent.
 *
 * Export: each mesh instance becomes an agent service `gossip-sd:<service>:<id>` named after the
 * service, with the first address split into Address and Port (what Go's health readers join
 * back as "Address:Port"), the instance metadata Consul accepts as service Meta, and one TTL
 * check `service:<service id>` registered passing and passed every third of its TTL. A crashed
 * bridge stops passing: its services turn critical after the TTL (and leave the passing
 * answers Go readers ask for), and the agent deregisters them once critical for
 * `deregisterCriticalAfterS`.
 *
 * Import: every service in the catalog (but Consul's own `consul`) is read as a passing health
 * query; each entry becomes an instance of that service with id `<node>/<service id>` and the
 * address Go's readers build (Service.Address, or the node's address when empty, ":" Port).
 *
 * Marker: exports carry `gossip-sd-mesh` (the mesh name) and `gossip-sd-bridge` (this backend's
 * random session) in their Meta. An entry with a mesh marker is an export; one with this
 * session is this backend's ('current'). The services this backend registered and has not yet
 * seen passing (critical after a missed pass, or lost with a restarted agent) are listed with
 * an empty value, so the bridge writes them again or deletes them.
 *
 * Changes: a blocking query on the catalog's service names, and one per service on its passing
 * entries (blocking.ts); an answer that differs from the last one of its query tells the bridge.
 */
import { randomBytes } from 'node:crypto'
import { type Instance, InvalidArgumentError } from '../../../contract.ts'
import type { ExportEntry, StoreBackend, StoreEntry } from '../core/store.ts'
import { ConsulApi, type ConsulRegistration, type ConsulServiceEntry } from './api.ts'
import { blockingLoop } from './blocking.ts'

/** Meta key naming the mesh whose bridge exported a service. */
export const CONSUL_MESH_META = 'gossip-sd-mesh'
/** Meta key naming the backend session (one per backend) that registered a service. */
export const CONSUL_BRIDGE_META = 'gossip-sd-bridge'

/** Consul's own service, registered by its servers: not a service to mirror. */
const CONSUL_SELF = 'consul'
/** Consul's limits on service Meta: pairs, key and value lengths, key characters. */
const META_MAX_PAIRS = 64
const META_KEY_MAX = 128
const META_VALUE_MAX = 512
const META_KEY = /^[A-Za-z0-9_-]+$/

/** Where the Consul backend connects and how its exports' health checks run. */
export interface ConsulBackendOptions {
  /** The Consul agent's HTTP address, e.g. "http://127.0.0.1:8500". */
  readonly url: string
  /** TTL of each export's check, in seconds: how long exports stay passing after a crash. @default 10 */
  readonly ttlS?: number
  /**
   * Consul deregisters an export critical for this long (its `DeregisterCriticalServiceAfter`;
   * Consul's minimum is 60). @default 60
   */
  readonly deregisterCriticalAfterS?: number
  /** Bound on each call to Consul, in ms (blocking queries get their wait on top). @default 3000 */
  readonly callTimeoutMs?: number
  /** How long the change-watching blocking queries may be held, in seconds. @default 60 */
  readonly waitS?: number
}

/** "host:port" split at its last colon, or undefined when there is no port to split off. */
function hostPort(address: string | undefined): { host: string; port: number } | undefined {
  const match = address === undefined ? null : /^(.+):(\d{1,5})$/.exec(address)
  if (match === null) return undefined
  const port = Number(match[2])
  return port > 0 && port <= 65_535 ? { host: match[1] as string, port } : undefined
}

/** The metadata Consul accepts as service Meta (up to its limits, ours left room). */
function consulMeta(metadata: Readonly<Record<string, string>>): Record<string, string> {
  const meta: Record<string, string> = {}
  let pairs = 0
  for (const key of Object.keys(metadata).sort()) {
    const value = metadata[key] as string
    if (pairs === META_MAX_PAIRS - 2) break
    if (!META_KEY.test(key) || key.length > META_KEY_MAX || key.startsWith('consul-')) continue
    if (key === CONSUL_MESH_META || key === CONSUL_BRIDGE_META || value.length > META_VALUE_MAX)
      continue
    meta[key] = value
    pairs++
  }
  return meta
}

/** Meta without the bridge's markers, keys sorted. */
function withoutMarkers(meta: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(meta)
      .filter(([k]) => k !== CONSUL_MESH_META && k !== CONSUL_BRIDGE_META)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  )
}

/** An export's value: what is compared with the store (service, address, port, Meta). */
type Registered = [service: string, address: string, port: number, meta: Record<string, string>]

function exportId(service: string, id: string): string {
  return `gossip-sd:${encodeURIComponent(service)}:${encodeURIComponent(id)}`
}

class ConsulBackend implements StoreBackend {
  readonly id: string
  readonly #api: ConsulApi
  readonly #ttlS: number
  readonly #deregisterAfterS: number
  readonly #waitS: number
  readonly #session = randomBytes(8).toString('hex')
  /** Service IDs this backend registered and has not deregistered. */
  readonly #registered = new Set<string>()
  readonly #watches = new Map<string, () => void>()
  #mesh = ''
  #onChange: () => void = () => undefined
  #heartbeat: NodeJS.Timeout | undefined
  #closed = false

  constructor(options: ConsulBackendOptions) {
    const {
      url,
      ttlS = 10,
      deregisterCriticalAfterS = 60,
      callTimeoutMs = 3000,
      waitS = 60,
    } = options
    if (typeof url !== 'string' || !/^https?:\/\/[^/]+\/?$/.test(url)) {
      throw new InvalidArgumentError('the Consul backend needs a URL like http://HOST:PORT')
    }
    for (const [name, value] of [
      ['ttlS', ttlS],
      ['deregisterCriticalAfterS', deregisterCriticalAfterS],
      ['waitS', waitS],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new InvalidArgumentError(`${name} must be a whole number of seconds, at least 1`)
      }
    }
    this.#api = new ConsulApi(url, callTimeoutMs)
    this.#ttlS = ttlS
    this.#deregisterAfterS = deregisterCriticalAfterS
    this.#waitS = waitS
    this.id = `consul ${url.replace(/\/+$/, '')}`
  }

  encode(instance: Instance): ExportEntry | undefined {
    const at = hostPort(instance.addresses[0])
    if (at === undefined || instance.service === CONSUL_SELF) return undefined
    return {
      name: exportId(instance.service, instance.id),
      value: JSON.stringify([
        instance.service,
        at.host,
        at.port,
        consulMeta(instance.metadata),
      ] satisfies Registered),
    }
  }

  async open(mesh: string, onChange: () => void): Promise<void> {
    this.#mesh = mesh
    this.#onChange = onChange
    await this.#api.services() // rejects while Consul cannot be reached
    this.#watch(
      '',
      (params) => this.#api.services(params),
      (names) => this.#follow(names),
    )
    this.#heartbeat = setInterval(() => this.#passAll(), (this.#ttlS * 1000) / 3)
    this.#heartbeat.unref()
  }

  async list(): Promise<StoreEntry[]> {
    const { body: names } = await this.#api.services()
    const answers = await Promise.all(
      names.filter((n) => n !== CONSUL_SELF).map((n) => this.#api.passing(n)),
    )
    const entries = new Map<string, StoreEntry>()
    for (const entry of answers.flatMap((a) => a.body)) {
      const listed = this.#entry(entry)
      const seen = entries.get(listed.name)
      if (seen === undefined || (listed.held === 'current' && seen.held !== 'current'))
        entries.set(listed.name, listed)
    }
    for (const id of this.#registered) {
      const listed = entries.get(id)
      if (listed === undefined) {
        // registered by us but not passing (a missed pass, an agent that lost its state)
        entries.set(id, { name: id, value: '', exportedBy: this.#mesh, held: 'current' })
      } else if (listed.held !== 'current') {
        this.#registered.delete(id) // another bridge of the mesh registered it since
      }
    }
    return [...entries.values()]
  }

  async put(entry: ExportEntry): Promise<void> {
    const [service, address, port, meta] = JSON.parse(entry.value) as Registered
    const registration: ConsulRegistration = {
      ID: entry.name,
      Name: service,
      Address: address,
      Port: port,
      Meta: { ...meta, [CONSUL_MESH_META]: this.#mesh, [CONSUL_BRIDGE_META]: this.#session },
      Check: {
        CheckID: `service:${entry.name}`,
        Name: 'gossip-sd bridge TTL',
        TTL: `${this.#ttlS}s`,
        Status: 'passing',
        DeregisterCriticalServiceAfter: `${this.#deregisterAfterS}s`,
      },
    }
    await this.#api.register(registration)
    this.#registered.add(entry.name)
  }

  async remove(name: string): Promise<void> {
    await this.#api.deregister(name)
    this.#registered.delete(name)
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#heartbeat)
    for (const stop of this.#watches.values()) stop()
    this.#watches.clear()
    await Promise.all([...this.#registered].map((id) => this.remove(id).catch(() => {})))
  }

  /** A listed health entry as the bridge sees it. */
  #entry(entry: ConsulServiceEntry): StoreEntry {
    const mesh = entry.meta[CONSUL_MESH_META]
    const name = mesh === undefined ? `${entry.node}/${entry.id}` : entry.id
    const address = entry.address === '' ? entry.nodeAddress : entry.address
    const metadata = withoutMarkers(entry.meta)
    return {
      name,
      value: JSON.stringify([
        entry.service,
        entry.address,
        entry.port,
        metadata,
      ] satisfies Registered),
      ...(mesh === undefined ? {} : { exportedBy: mesh }),
      ...(mesh !== undefined && entry.meta[CONSUL_BRIDGE_META] === this.#session
        ? { held: 'current' as const }
        : {}),
      spec: {
        service: entry.service,
        id: `${entry.node}/${entry.id}`,
        addresses: [`${address}:${entry.port}`],
        metadata,
      },
    }
  }

  /** Follows the catalog's service names: one passing-entries watch per service. */
  #follow(names: readonly string[]): void {
    const wanted = new Set(names.filter((n) => n !== CONSUL_SELF))
    for (const [name, stop] of this.#watches) {
      if (name !== '' && !wanted.has(name)) {
        stop()
        this.#watches.delete(name)
      }
    }
    for (const name of wanted) {
      if (!this.#watches.has(name))
        this.#watch(
          name,
          (params) => this.#api.passing(name, params),
          () => undefined,
        )
    }
  }

  /** Starts a blocking loop under `key`; an answer unlike the last one tells the bridge. */
  #watch<T>(
    key: string,
    query: Parameters<typeof blockingLoop<T>>[0],
    then: (body: T) => void,
  ): void {
    let last: string | undefined
    const stop = blockingLoop(
      query,
      (body) => {
        const seen = JSON.stringify(body)
        if (seen !== last) {
          last = seen
          then(body)
          this.#onChange()
        }
      },
      () => {
        last = undefined // whatever answers next is news
        this.#onChange()
      },
      { waitS: this.#waitS, initialBackoffMs: 250, maxBackoffMs: 10_000 },
    )
    this.#watches.set(key, stop)
  }

  /** Passes every export's TTL check; a check Consul no longer knows makes the bridge look. */
  #passAll(): void {
    if (this.#closed) return
    for (const id of this.#registered) {
      this.#api.pass(`service:${id}`).catch(() => this.#onChange())
    }
  }
}

/** A bridge backend on the Consul agent at `options.url`. */
export function consulBackend(options: ConsulBackendOptions): StoreBackend {
  return new ConsulBackend(options)
}
