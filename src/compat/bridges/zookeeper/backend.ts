/**
 * The ZooKeeper store behind a bridge, in go-kit's sd/zk layout: each service S is a persistent
 * node `<path>/S` whose children are its instances, each child's **data** the instance string
 * (go-kit's readers take every child's data and ignore names). Imports: every child of
 * `<path>/S` with data becomes an instance of S with id = the child's name (go-kit names its
 * ephemeral sequential children `_c_<guid>-<name><sequence>`). Exports: an ephemeral child
 * `<path>/S/<id>` (id URI-encoded, since `/` cannot appear in a name) holding the first address;
 * the name is fixed by the instance, not sequential, so bridges of one mesh write each export
 * once and the create itself is create-if-absent.
 *
 * Marker: a bridge registers its session as the ephemeral `/gossip-sd/bridges/<session id>`
 * holding the mesh name; an ephemeral child owned by a registered session is an export. When
 * the session expires ZooKeeper deletes its ephemerals; the backend connects a new session and
 * the bridge's next pass recreates them. Watches are one-shot, so each listing sets them again.
 */
import { type Instance, InvalidArgumentError } from '../../../contract.ts'
import type { ExportEntry, StoreBackend, StoreEntry } from '../core/store.ts'
import {
  CreateMode,
  call,
  connect,
  Exception,
  sessionHex,
  type ZkClient,
  type ZkStat,
  zkCode,
} from './client.ts'

/** Where bridges register their sessions. */
export const ZK_MARKER_PATH = '/gossip-sd/bridges'

/** Where a ZooKeeper backend connects and which tree it mirrors (go-kit sd/zk layout). */
export interface ZooKeeperBackendOptions {
  /** Connection string, e.g. "127.0.0.1:2181" (several: "h1:2181,h2:2181"). */
  readonly servers: string
  /** Parent of the service nodes, e.g. "/services" (go-kit's Service.Path). */
  readonly path: string
  /** Session timeout: how long exports outlive a crashed bridge. @default 10000 */
  readonly sessionTimeoutMs?: number
  /** Bound on each call and on connecting. @default 3000 */
  readonly callTimeoutMs?: number
}

class ZooKeeperBackend implements StoreBackend {
  readonly id: string
  readonly #servers: string
  readonly #root: string
  readonly #sessionTimeoutMs: number
  readonly #timeoutMs: number
  readonly #previousSessions = new Set<string>()
  #client: ZkClient | undefined
  #session = ''
  #mesh = ''
  #onChange: () => void = () => undefined
  #closed = false
  /** When the live client lost its connection (undefined while connected). */
  #disconnectedAt: number | undefined

  constructor(options: ZooKeeperBackendOptions) {
    const { servers, path, sessionTimeoutMs = 10_000, callTimeoutMs = 3000 } = options
    if (typeof servers !== 'string' || servers === '') {
      throw new InvalidArgumentError('the ZooKeeper backend needs a connection string')
    }
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new InvalidArgumentError('the ZooKeeper path must start with "/", e.g. "/services"')
    }
    this.#servers = servers
    this.#root = path.length > 1 ? path.replace(/\/+$/, '') : path
    this.#sessionTimeoutMs = sessionTimeoutMs
    this.#timeoutMs = callTimeoutMs
    this.id = `zookeeper go-kit ${this.#root}`
  }

  encode(instance: Instance): ExportEntry | undefined {
    const value = instance.addresses[0]
    if (value === undefined || value === '' || instance.service.includes('/')) return undefined
    return { name: `${this.#child(instance.service)}/${encodeURIComponent(instance.id)}`, value }
  }

  async open(mesh: string, onChange: () => void): Promise<void> {
    this.#mesh = mesh
    this.#onChange = onChange
    await this.#connected()
  }

  /**
   * The one watcher every read leaves. The client keeps a watcher once per path and function, so
   * passes over paths that never change add nothing; a new closure per pass would pile up.
   */
  readonly #watch = (): void => this.#onChange()

  async list(): Promise<StoreEntry[]> {
    const client = await this.#connected()
    const watch = this.#watch
    const entries: StoreEntry[] = []
    const owners: string[] = []
    for (const service of await this.#children(client, this.#root, watch)) {
      const parent = this.#child(service)
      for (const name of await this.#children(client, parent, watch)) {
        const read = await this.#data(client, `${parent}/${name}`, watch)
        if (read === undefined) continue // deleted between the two reads
        const [value, stat] = read
        owners.push(sessionHex(stat.ephemeralOwner))
        entries.push({ name: `${parent}/${name}`, value, ...this.#decode(service, name, value) })
      }
    }
    const meshBySession = new Map<string, string>()
    for (const session of await this.#children(client, ZK_MARKER_PATH, watch)) {
      const read = await this.#data(client, `${ZK_MARKER_PATH}/${session}`, watch)
      if (read !== undefined) meshBySession.set(session, read[0])
    }
    return entries.map((entry, i) => {
      const owner = owners[i] ?? ''
      const exportedBy = meshBySession.get(owner)
      const held =
        owner === this.#session
          ? 'current'
          : this.#previousSessions.has(owner)
            ? 'previous'
            : undefined
      return {
        ...entry,
        ...(exportedBy === undefined ? {} : { exportedBy }),
        ...(held === undefined ? {} : { held }),
      }
    })
  }

  async put(entry: ExportEntry): Promise<void> {
    const client = await this.#connected()
    const parent = entry.name.slice(0, entry.name.lastIndexOf('/'))
    await call<string>(`mkdirp ${parent}`, this.#timeoutMs, (done) => client.mkdirp(parent, done))
    const data = Buffer.from(entry.value)
    try {
      await call<string>(`create ${entry.name}`, this.#timeoutMs, (done) =>
        client.create(entry.name, data, CreateMode.EPHEMERAL, done),
      )
    } catch (err) {
      if (zkCode(err) !== Exception.NODE_EXISTS) throw err
      const existing = await this.#data(client, entry.name, () => undefined)
      const owner = existing === undefined ? '' : sessionHex(existing[1].ephemeralOwner)
      if (!this.#previousSessions.has(owner)) {
        await call<ZkStat>(`setData ${entry.name}`, this.#timeoutMs, (done) =>
          client.setData(entry.name, data, -1, done),
        )
        return
      }
      // Our own export from an earlier session: recreate it under this one
      await this.remove(entry.name)
      await this.put(entry)
    }
  }

  async remove(name: string): Promise<void> {
    const client = await this.#connected()
    try {
      await call<void>(`remove ${name}`, this.#timeoutMs, (done) =>
        client.remove(name, -1, (err) => done(err, undefined)),
      )
    } catch (err) {
      if (zkCode(err) !== Exception.NO_NODE) throw err
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#client?.close() // ends the session: ZooKeeper deletes its ephemerals at once
    this.#client = undefined
  }

  #child(service: string): string {
    return this.#root === '/' ? `/${service}` : `${this.#root}/${service}`
  }

  #decode(service: string, name: string, value: string): Pick<StoreEntry, 'spec'> {
    if (value === '') return {} // go-kit's persistent placeholder nodes hold no instance
    let id = name
    try {
      id = decodeURIComponent(name)
    } catch {
      // not URI-encoded: a name Go code chose, kept as it is
    }
    return { spec: { service, id, addresses: [value] } }
  }

  /** The live client; a new session (with its marker) when there is none or it expired. */
  async #connected(): Promise<ZkClient> {
    if (this.#closed) throw new InvalidArgumentError('the ZooKeeper backend is closed')
    const away = this.#disconnectedAt === undefined ? 0 : Date.now() - this.#disconnectedAt
    // Away for three call timeouts (or the whole session): start over with a new client and
    // session rather than wait on one that may never come back (seen after a server restart on
    // a loaded host); exports under the old session count as 'previous' and move to the new one.
    if (
      this.#client !== undefined &&
      away > Math.min(this.#sessionTimeoutMs, 3 * this.#timeoutMs)
    ) {
      this.#dropSession(this.#client)
    }
    if (this.#client !== undefined) return this.#client
    const client = await connect(this.#servers, this.#sessionTimeoutMs, this.#timeoutMs)
    const session = sessionHex(client.getSessionId())
    try {
      for (const path of [this.#root, ZK_MARKER_PATH]) {
        await call<string>(`mkdirp ${path}`, this.#timeoutMs, (done) => client.mkdirp(path, done))
      }
      const marker = `${ZK_MARKER_PATH}/${session}`
      await call<string>(`create ${marker}`, this.#timeoutMs, (done) =>
        client.create(marker, Buffer.from(this.#mesh), CreateMode.EPHEMERAL, done),
      )
    } catch (err) {
      client.close()
      throw err
    }
    client.on('expired', () => this.#dropSession(client))
    client.on('disconnected', () => {
      if (this.#client !== client) return
      this.#disconnectedAt ??= Date.now()
      this.#onChange()
    })
    client.on('connected', () => {
      if (this.#client !== client) return
      this.#disconnectedAt = undefined
      this.#onChange()
    })
    this.#client = client
    this.#session = session
    this.#disconnectedAt = undefined
    return client
  }

  /** Forgets an expired session; the next call connects a new one (and its marker). */
  #dropSession(client: ZkClient): void {
    if (this.#client !== client) return
    this.#previousSessions.add(this.#session)
    this.#client = undefined
    this.#disconnectedAt = undefined
    client.close()
    this.#onChange()
  }

  async #children(client: ZkClient, path: string, watch: () => void): Promise<string[]> {
    try {
      return await call<string[]>(`getChildren ${path}`, this.#timeoutMs, (done) =>
        client.getChildren(path, watch, (err, children) => done(err, children)),
      )
    } catch (err) {
      if (zkCode(err) === Exception.NO_NODE) return []
      throw err
    }
  }

  async #data(
    client: ZkClient,
    path: string,
    watch: () => void,
  ): Promise<[string, ZkStat] | undefined> {
    try {
      return await call<[string, ZkStat]>(`getData ${path}`, this.#timeoutMs, (done) =>
        client.getData(path, watch, (err, data, stat) =>
          done(err, [data === null || data === undefined ? '' : data.toString(), stat]),
        ),
      )
    } catch (err) {
      if (zkCode(err) === Exception.NO_NODE) return undefined
      throw err
    }
  }
}

/** A bridge backend on the ZooKeeper at `options.servers`, in go-kit's sd/zk layout. */
export function zooKeeperBackend(options: ZooKeeperBackendOptions): StoreBackend {
  return new ZooKeeperBackend(options)
}
