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
 *
 * Clients: one at a time, every call with a deadline. A client is replaced (closed within the
 * call timeout, its pending calls failed at once) when its session expired, it stayed away for
 * three call timeouts, a call timed out while it said it was connected and nothing at all
 * arrived meanwhile (a stall), or the server sent what the library could not read
 * (containment.ts); the next pass opens a new session and moves this backend's exports from the
 * earlier sessions to it. A listing reads the services' children, then every child's data,
 * concurrently with a bound.
 */
import { type Instance, InvalidArgumentError } from '../../../contract.ts'
import { mapBounded } from '../../../util/bounded.ts'
import type { ExportEntry, StoreBackend, StoreEntry } from '../core/store.ts'
import {
  CreateMode,
  call,
  connect,
  Exception,
  isConnected,
  sessionHex,
  type ZkClient,
  type ZkError,
  type ZkEvent,
  type ZkStat,
  ZooKeeperSessionExpiredError,
  ZooKeeperTimeoutError,
  zkCode,
} from './client.ts'
import { bytesReceived, closeClient } from './containment.ts'

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

/** Child reads one pass keeps in flight at once. */
const READS_IN_FLIGHT = 32
/** Earlier sessions of this backend whose exports it still recognises as its own. */
const PREVIOUS_SESSIONS_KEPT = 64

/**
 * One client and its session; `abort` fails its calls at once when it is replaced. `known`: the
 * data (and stat) of each node read with a data watch that has not fired since, so unchanged.
 */
interface Live {
  readonly client: ZkClient
  readonly session: string
  readonly abort: AbortController
  readonly known: Map<string, [string, ZkStat]>
}

class ZooKeeperBackend implements StoreBackend {
  readonly id: string
  readonly #servers: string
  readonly #root: string
  readonly #sessionTimeoutMs: number
  readonly #timeoutMs: number
  readonly #previousSessions = new Set<string>()
  #live: Live | undefined
  #connecting: Promise<Live> | undefined
  #mesh = ''
  #onChange: () => void = () => undefined
  #closed = false
  /** When the live client lost its connection (undefined while connected). */
  #disconnectedAt: number | undefined
  #sessions = 0
  #stalls = 0
  #protocolErrors = 0

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

  counters(): Readonly<Record<string, number>> {
    return { sessions: this.#sessions, stalls: this.#stalls, protocolErrors: this.#protocolErrors }
  }

  /**
   * The one watcher every read leaves. The client keeps a watcher once per path and function, so
   * passes over paths that never change add nothing; a new closure per pass would pile up. A
   * node's event (changed, deleted) forgets its known data, so the next pass reads it again.
   */
  readonly #watch = (event: ZkEvent): void => {
    this.#live?.known.delete(event.getPath())
    this.#onChange()
  }

  async list(): Promise<StoreEntry[]> {
    const live = await this.#connected()
    // Every service's children, and the registered sessions, read at once (bounded)
    const [children, sessions] = await Promise.all([
      this.#children(live, this.#root).then((services) =>
        mapBounded(services, READS_IN_FLIGHT, async (service) => {
          const parent = this.#child(service)
          return (await this.#children(live, parent)).map((name) => ({ service, parent, name }))
        }),
      ),
      this.#children(live, ZK_MARKER_PATH),
    ])
    const nodes = children.flat()
    const [reads, markers] = await Promise.all([
      mapBounded(nodes, READS_IN_FLIGHT, (n) => this.#data(live, `${n.parent}/${n.name}`)),
      mapBounded(sessions, READS_IN_FLIGHT, (session) =>
        this.#data(live, `${ZK_MARKER_PATH}/${session}`),
      ),
    ])
    // Forget nodes that are gone, so what is known stays the size of the tree
    const listed = new Set([
      ...nodes.map((n) => `${n.parent}/${n.name}`),
      ...sessions.map((session) => `${ZK_MARKER_PATH}/${session}`),
    ])
    for (const path of live.known.keys()) if (!listed.has(path)) live.known.delete(path)
    const meshBySession = new Map<string, string>()
    sessions.forEach((session, i) => {
      const read = markers[i]
      if (read !== undefined) meshBySession.set(session, read[0])
    })
    const entries: StoreEntry[] = []
    nodes.forEach(({ service, parent, name }, i) => {
      const read = reads[i]
      if (read === undefined) return // deleted between the two reads
      const [value, stat] = read
      const owner = sessionHex(stat.ephemeralOwner)
      const exportedBy = meshBySession.get(owner)
      const held =
        owner === live.session
          ? 'current'
          : this.#previousSessions.has(owner)
            ? 'previous'
            : undefined
      entries.push({
        name: `${parent}/${name}`,
        value,
        ...this.#decode(service, name, value),
        ...(exportedBy === undefined ? {} : { exportedBy }),
        ...(held === undefined ? {} : { held }),
      })
    })
    return entries
  }

  async put(entry: ExportEntry): Promise<void> {
    const live = await this.#connected()
    const parent = entry.name.slice(0, entry.name.lastIndexOf('/'))
    await this.#call<string>(live, `mkdirp ${parent}`, (done) => live.client.mkdirp(parent, done))
    const data = Buffer.from(entry.value)
    try {
      await this.#call<string>(live, `create ${entry.name}`, (done) =>
        live.client.create(entry.name, data, CreateMode.EPHEMERAL, done),
      )
    } catch (err) {
      if (zkCode(err) !== Exception.NODE_EXISTS) throw err
      const existing = await this.#data(live, entry.name, false)
      const owner = existing === undefined ? '' : sessionHex(existing[1].ephemeralOwner)
      if (!this.#previousSessions.has(owner)) {
        await this.#call<ZkStat>(live, `setData ${entry.name}`, (done) =>
          live.client.setData(entry.name, data, -1, done),
        )
        return
      }
      // Our own export from an earlier session: recreate it under this one
      await this.remove(entry.name)
      await this.put(entry)
    }
  }

  async remove(name: string): Promise<void> {
    const live = await this.#connected()
    try {
      await this.#call<void>(live, `remove ${name}`, (done) =>
        live.client.remove(name, -1, (err) => done(err, undefined)),
      )
    } catch (err) {
      if (zkCode(err) !== Exception.NO_NODE) throw err
    }
  }

  /** Ends the session (ZooKeeper deletes its ephemerals at once), within the call timeout. */
  async close(): Promise<void> {
    this.#closed = true
    const live = this.#live
    this.#live = undefined
    if (live === undefined) return
    live.abort.abort(new InvalidArgumentError('the ZooKeeper backend is closed'))
    await closeClient(live.client, this.#timeoutMs)
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

  /** The live client; a new session (with its marker) when there is none or it was dropped. */
  async #connected(): Promise<Live> {
    if (this.#closed) throw new InvalidArgumentError('the ZooKeeper backend is closed')
    const live = this.#live
    const away = this.#disconnectedAt === undefined ? 0 : Date.now() - this.#disconnectedAt
    // Away for three call timeouts (or the whole session): start over with a new client and
    // session rather than wait on one that may never come back (seen after a server restart on
    // a loaded host); exports under the old session count as 'previous' and move to the new one.
    if (live !== undefined && away > Math.min(this.#sessionTimeoutMs, 3 * this.#timeoutMs)) {
      this.#drop(live, new ZooKeeperTimeoutError('reconnect', away))
    }
    if (this.#live !== undefined) return this.#live
    // One session at a time, whoever asks
    this.#connecting ??= this.#openSession().finally(() => {
      this.#connecting = undefined
    })
    return this.#connecting
  }

  async #openSession(): Promise<Live> {
    let live: Live | undefined
    const client = await connect(this.#servers, this.#sessionTimeoutMs, this.#timeoutMs, (err) => {
      this.#protocolErrors++
      if (live !== undefined) this.#drop(live, err)
    })
    live = {
      client,
      session: sessionHex(client.getSessionId()),
      abort: new AbortController(),
      known: new Map(),
    }
    try {
      for (const path of [this.#root, ZK_MARKER_PATH]) {
        await this.#call<string>(live, `mkdirp ${path}`, (done) => client.mkdirp(path, done))
      }
      const marker = `${ZK_MARKER_PATH}/${live.session}`
      await this.#call<string>(live, `create ${marker}`, (done) =>
        client.create(marker, Buffer.from(this.#mesh), CreateMode.EPHEMERAL, done),
      )
      if (this.#closed) throw new InvalidArgumentError('the ZooKeeper backend is closed')
    } catch (err) {
      live.abort.abort(err)
      await closeClient(client, this.#timeoutMs)
      throw err
    }
    const current = live
    client.on('expired', () => this.#drop(current, new ZooKeeperSessionExpiredError()))
    client.on('disconnected', () => {
      if (this.#live !== current) return
      this.#disconnectedAt ??= Date.now()
      this.#onChange()
    })
    client.on('connected', () => {
      if (this.#live !== current) return
      this.#disconnectedAt = undefined
      this.#onChange()
    })
    this.#sessions++
    this.#live = current
    this.#disconnectedAt = undefined
    return current
  }

  /**
   * Replaces a client that expired, stalled, stayed away or sent what the library could not
   * read: its calls fail now with `reason`, it is closed (within the call timeout), and the next
   * call opens a new session whose pass recreates the exports and re-arms the watches.
   */
  #drop(live: Live, reason: Error): void {
    if (this.#live !== live) return
    this.#previousSessions.add(live.session)
    // The oldest ended long ago (a session outlives its client by its timeout at most)
    if (this.#previousSessions.size > PREVIOUS_SESSIONS_KEPT) {
      this.#previousSessions.delete(this.#previousSessions.values().next().value as string)
    }
    this.#live = undefined
    this.#disconnectedAt = undefined
    live.abort.abort(reason)
    void closeClient(live.client, this.#timeoutMs)
    this.#onChange()
  }

  /**
   * One bounded call. A call that times out on a client that says it is connected, and that
   * received nothing at all meanwhile, met a stalled connection: the client is dropped. (A
   * server that answers other calls is slow, not stalled: only the call fails.)
   */
  async #call<T>(
    live: Live,
    what: string,
    start: (done: (err: ZkError | null, value: T) => void) => void,
  ): Promise<T> {
    const before = bytesReceived(live.client)
    try {
      return await call<T>(what, this.#timeoutMs, start, live.abort.signal)
    } catch (err) {
      if (
        err instanceof ZooKeeperTimeoutError &&
        isConnected(live.client) &&
        bytesReceived(live.client) === before
      ) {
        this.#stalls++
        this.#drop(live, err)
      }
      throw err
    }
  }

  async #children(live: Live, path: string): Promise<string[]> {
    try {
      return await this.#call<string[]>(live, `getChildren ${path}`, (done) =>
        live.client.getChildren(path, this.#watch, (err, children) => done(err, children)),
      )
    } catch (err) {
      if (zkCode(err) === Exception.NO_NODE) return []
      throw err
    }
  }

  /**
   * A node's data and stat. With `watch`, a node whose data watch has not fired since its last
   * read is answered from what is known, and a read sets the watch; the answer is kept in the
   * library's callback, before any event that follows it on the connection can be seen.
   */
  async #data(live: Live, path: string, watch = true): Promise<[string, ZkStat] | undefined> {
    const known = watch ? live.known.get(path) : undefined
    if (known !== undefined) return known
    const read = (done: (err: ZkError | null, value: [string, ZkStat]) => void): void => {
      const answer = (err: ZkError | null, data: Buffer | undefined, stat: ZkStat): void => {
        const value: [string, ZkStat] = [
          data === null || data === undefined ? '' : data.toString(),
          stat,
        ]
        if (err === null && watch) live.known.set(path, value)
        done(err, value)
      }
      if (watch) live.client.getData(path, this.#watch, answer)
      else live.client.getData(path, answer)
    }
    try {
      return await this.#call<[string, ZkStat]>(live, `getData ${path}`, read)
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
