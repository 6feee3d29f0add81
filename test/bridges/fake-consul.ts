/**
 * A recorded-behaviour Consul agent for the bridge tests: not Consul, but a small HTTP server
 * on loopback reproducing what Consul's API documentation says about exactly the endpoints the
 * Consul backend and the Go-style clients of the tests use (Consul has no server package here).
 *
 * Reproduced, from the documentation:
 * - `PUT /v1/agent/service/register`: adds or replaces the service with that ID (ID defaults to
 *   Name; Name is required); Meta is checked as documented (at most 64 pairs, keys of letters,
 *   digits, `-` and `_` up to 128 characters, not starting with `consul-`, values up to 512);
 *   one `Check` with a `TTL` is registered with it, its CheckID defaulting to `service:<ID>`,
 *   its initial status `Status` or, when not given, `critical`.
 * - TTL checks: critical ("TTL expired") when not passed within their TTL;
 *   `PUT /v1/agent/check/pass/:check_id` sets passing (note as output) and restarts the clock.
 *   `DeregisterCriticalServiceAfter` deregisters a service whose check stayed critical that long
 *   (Consul's minimum of one minute applies; Consul's reaper runs every 30 s, this one on time).
 * - `PUT /v1/agent/service/deregister/:service_id`: removes the service and its check; an
 *   unknown ID is no error ("no action is taken").
 * - `GET /v1/catalog/services`: `{ name: [tags] }` for every service, `consul` included (this
 *   agent plays a one-server datacenter, whose servers register `consul`).
 * - `GET /v1/health/service/:service[?passing]`: `[{ Node, Service, Checks }]`, the node's
 *   `serfHealth` check and the service's own; `passing` keeps only entries whose every check
 *   passes.
 * - Blocking queries on both GETs: `X-Consul-Index` on every answer, never 0, rising
 *   monotonically with every write (a write that changes nothing, such as passing a passing
 *   check, moves no index); `index=N` holds the request until the query's index exceeds N or
 *   `wait` (Go durations, default 5m, at most 10m, plus up to wait/16 of jitter) runs out, then
 *   answers with the current state; `index=0` or none answers at once. The catalog query's
 *   index moves with registrations and deregistrations; a service's health query's index with
 *   that service's registrations and check status changes.
 * - `stop()` then `start()` (or `restart()`) is an agent restarted with its state lost: same
 *   port, no services, indexes starting low again (a case in which the documentation tells
 *   clients to reset an index that goes backwards).
 *
 * Not reproduced: ACLs, datacenters, namespaces, tags filtering, consistency modes, agent
 * caching, anti-entropy with remote servers, other check kinds, other endpoints (404).
 * The status of a pass for an unknown check is not documented; this server answers 404.
 */
import { EventEmitter } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

const NODE = 'fake-consul-1'
const NODE_ADDRESS = '127.0.0.1'
const MAX_BODY = 1024 * 1024
const META_KEY = /^[A-Za-z0-9_-]+$/

type Status = 'passing' | 'warning' | 'critical'

interface Service {
  ID: string
  Service: string
  Tags: string[]
  Address: string
  Port: number
  Meta: Record<string, string>
}

interface Check {
  CheckID: string
  Name: string
  Status: Status
  Output: string
  ServiceID: string
  ServiceName: string
  ttlMs: number
  deregisterAfterMs: number | undefined
  ttlTimer: NodeJS.Timeout | undefined
  reapTimer: NodeJS.Timeout | undefined
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** Go's time.ParseDuration for the units Consul's parameters use. */
function parseDuration(text: string): number {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1e3,
    m: 6e4,
    h: 36e5,
  }
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new HttpError(400, `invalid duration "${text}"`)
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * (units[p[2] as string] as number), 0)
}

function checkMeta(meta: unknown): Record<string, string> {
  if (meta === undefined || meta === null) return {}
  if (typeof meta !== 'object' || Array.isArray(meta)) throw new HttpError(400, 'Meta: not a map')
  const entries = Object.entries(meta as Record<string, unknown>)
  if (entries.length > 64) throw new HttpError(400, 'Meta: more than 64 pairs')
  for (const [k, v] of entries) {
    if (!META_KEY.test(k) || k.length > 128 || k.startsWith('consul-')) {
      throw new HttpError(400, `Meta: invalid key "${k}"`)
    }
    if (typeof v !== 'string' || v.length > 512)
      throw new HttpError(400, `Meta: bad value of "${k}"`)
  }
  return meta as Record<string, string>
}

export class FakeConsul {
  /** Fires on every write that moves an index (tests wake on it). */
  readonly changes = new EventEmitter()
  readonly #sockets = new Set<Socket>()
  #server: Server | undefined
  #port = 0
  #index = 0
  #catalogIndex = 0
  readonly #serviceIndex = new Map<string, number>()
  readonly #services = new Map<string, Service>()
  readonly #checks = new Map<string, Check>()

  /** "http://127.0.0.1:PORT" */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`
  }

  /** Starts on `port` (0: any free port), with no state: a fresh agent. */
  async start(port = this.#port): Promise<void> {
    this.#reset()
    const server = createServer((req, res) => void this.#handle(req, res))
    server.on('connection', (socket) => {
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    const address = server.address()
    this.#port = typeof address === 'object' && address !== null ? address.port : port
    this.#server = server
  }

  /** Stops answering: open connections (held blocking queries included) are cut. */
  async stop(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    for (const check of this.#checks.values()) this.#clearTimers(check)
    for (const socket of this.#sockets) socket.destroy()
    if (server !== undefined) await new Promise((resolve) => server.close(resolve))
    this.changes.emit('change')
  }

  /** The agent restarted with its state lost: same port, nothing registered, indexes low. */
  async restart(): Promise<void> {
    await this.stop()
    await this.start()
  }

  /** What a Go `Health().Service(name, "", passingOnly, nil)` returns, as instance strings. */
  instances(service: string, passingOnly = true): string[] {
    return this.#health(service, passingOnly).map(
      (e) => `${e.Service.Address === '' ? e.Node.Address : e.Service.Address}:${e.Service.Port}`,
    )
  }

  /** The status of a check, or undefined when there is none. */
  checkStatus(checkId: string): Status | undefined {
    return this.#checks.get(checkId)?.Status
  }

  /** The registered service with that ID (Meta included), or undefined. */
  service(id: string): Readonly<Service> | undefined {
    return this.#services.get(id)
  }

  #reset(): void {
    this.#services.clear()
    this.#checks.clear()
    this.#serviceIndex.clear()
    this.#index = 0
    // A fresh one-server datacenter: the node joins and the server registers `consul`
    this.#write('consul', true, () => {
      this.#services.set('consul', {
        ID: 'consul',
        Service: 'consul',
        Tags: [],
        Address: '',
        Port: 8300,
        Meta: {},
      })
    })
  }

  /** Applies a write at a new index, moving the catalog's and the service's indexes. */
  #write(service: string, catalog: boolean, apply: () => void): void {
    apply()
    this.#index++
    if (catalog) this.#catalogIndex = this.#index
    this.#serviceIndex.set(service, this.#index)
    this.changes.emit('change')
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://consul')
      const path = url.pathname
      const route = (prefix: string): string | undefined =>
        path.startsWith(prefix) && path.length > prefix.length
          ? decodeURIComponent(path.slice(prefix.length))
          : undefined
      const put = req.method === 'PUT'
      const deregister = put ? route('/v1/agent/service/deregister/') : undefined
      const pass = put ? route('/v1/agent/check/pass/') : undefined
      if (put && path === '/v1/agent/service/register') {
        this.#register(JSON.parse(await body(req)) as Record<string, unknown>)
        return reply(res, 200, '')
      }
      if (deregister !== undefined) {
        this.#deregister(deregister)
        return reply(res, 200, '')
      }
      if (pass !== undefined) {
        this.#pass(pass, url.searchParams.get('note') ?? '')
        return reply(res, 200, '')
      }
      if (req.method === 'GET' && path === '/v1/catalog/services') {
        await this.#block(url, req, () => this.#catalogIndex)
        const body: Record<string, string[]> = {}
        for (const s of this.#services.values())
          body[s.Service] = [...(body[s.Service] ?? []), ...s.Tags]
        return reply(res, 200, JSON.stringify(body), this.#catalogIndex)
      }
      const service = req.method === 'GET' ? route('/v1/health/service/') : undefined
      if (service !== undefined) {
        const index = (): number => this.#serviceIndex.get(service) ?? this.#catalogIndex
        await this.#block(url, req, index)
        const passing = url.searchParams.has('passing')
        return reply(res, 200, JSON.stringify(this.#health(service, passing)), index())
      }
      throw new HttpError(404, `no route for ${req.method} ${path}`)
    } catch (err) {
      if (res.destroyed) return
      const status = err instanceof HttpError ? err.status : err instanceof SyntaxError ? 400 : 500
      reply(res, status, (err as Error).message)
    }
  }

  /** Holds a blocking query until `index()` passes the requested index or the wait ends. */
  async #block(url: URL, req: IncomingMessage, index: () => number): Promise<void> {
    const asked = Number(url.searchParams.get('index') ?? '0')
    if (!Number.isFinite(asked) || asked <= 0 || index() > asked) return
    const waitText = url.searchParams.get('wait')
    const wait = Math.min(waitText === null ? 300_000 : parseDuration(waitText), 600_000)
    const ms = wait + Math.random() * (wait / 16)
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.changes.off('change', onChange)
        req.socket.off('close', done)
        resolve()
      }
      const onChange = (): void => {
        if (index() > asked || this.#server === undefined) done()
      }
      const timer = setTimeout(done, ms)
      this.changes.on('change', onChange)
      req.socket.once('close', done)
    })
  }

  #register(body: Record<string, unknown>): void {
    if (typeof body.Name !== 'string' || body.Name === '')
      throw new HttpError(400, 'Missing service name')
    const id = typeof body.ID === 'string' && body.ID !== '' ? body.ID : body.Name
    const port = body.Port ?? 0
    if (!Number.isInteger(port)) throw new HttpError(400, 'Port: not an integer')
    const service: Service = {
      ID: id,
      Service: body.Name,
      Tags: Array.isArray(body.Tags)
        ? body.Tags.filter((t): t is string => typeof t === 'string')
        : [],
      Address: typeof body.Address === 'string' ? body.Address : '',
      Port: port as number,
      Meta: checkMeta(body.Meta),
    }
    const check = this.#checkOf(service, body.Check)
    const previous = this.#services.get(id)
    const same =
      previous !== undefined &&
      JSON.stringify(previous) === JSON.stringify(service) &&
      (check === undefined || this.#checks.get(check.CheckID)?.Status === check.Status)
    const apply = (): void => {
      if (previous !== undefined && previous.Service !== service.Service) this.#deregister(id)
      this.#services.set(id, service)
      if (check !== undefined) {
        const old = this.#checks.get(check.CheckID)
        if (old !== undefined) this.#clearTimers(old)
        this.#checks.set(check.CheckID, check)
        this.#armTtl(check)
      }
    }
    if (same) apply()
    else this.#write(service.Service, true, apply)
  }

  #checkOf(service: Service, raw: unknown): Check | undefined {
    if (raw === undefined || raw === null) return undefined
    if (typeof raw !== 'object') throw new HttpError(400, 'Check: not an object')
    const c = raw as Record<string, unknown>
    if (typeof c.TTL !== 'string') throw new HttpError(400, 'Check: only TTL checks are reproduced')
    const status = c.Status ?? 'critical'
    if (status !== 'passing' && status !== 'warning' && status !== 'critical') {
      throw new HttpError(400, `Check: invalid Status "${String(status)}"`)
    }
    const after =
      typeof c.DeregisterCriticalServiceAfter === 'string' &&
      c.DeregisterCriticalServiceAfter !== ''
        ? Math.max(parseDuration(c.DeregisterCriticalServiceAfter), 60_000)
        : undefined
    return {
      CheckID:
        typeof c.CheckID === 'string' && c.CheckID !== '' ? c.CheckID : `service:${service.ID}`,
      Name: typeof c.Name === 'string' ? c.Name : `Service '${service.Service}' check`,
      Status: status,
      Output: '',
      ServiceID: service.ID,
      ServiceName: service.Service,
      ttlMs: parseDuration(c.TTL),
      deregisterAfterMs: after,
      ttlTimer: undefined,
      reapTimer: undefined,
    }
  }

  #deregister(id: string): void {
    const service = this.#services.get(id)
    if (service === undefined) return // "no action is taken"
    this.#write(service.Service, true, () => {
      this.#services.delete(id)
      for (const check of [...this.#checks.values()]) {
        if (check.ServiceID !== id) continue
        this.#clearTimers(check)
        this.#checks.delete(check.CheckID)
      }
    })
  }

  #pass(checkId: string, note: string): void {
    const check = this.#checks.get(checkId)
    if (check === undefined) throw new HttpError(404, `Unknown check ID "${checkId}"`)
    this.#setStatus(check, 'passing', note)
    this.#armTtl(check)
  }

  #setStatus(check: Check, status: Status, output: string): void {
    if (check.Status === status) {
      check.Output = output
      return
    }
    this.#write(check.ServiceName, false, () => {
      check.Status = status
      check.Output = output
    })
    clearTimeout(check.reapTimer)
    check.reapTimer = undefined
    if (status === 'critical' && check.deregisterAfterMs !== undefined) {
      check.reapTimer = setTimeout(() => this.#deregister(check.ServiceID), check.deregisterAfterMs)
    }
  }

  #armTtl(check: Check): void {
    clearTimeout(check.ttlTimer)
    check.ttlTimer = setTimeout(() => {
      if (this.#checks.get(check.CheckID) === check)
        this.#setStatus(check, 'critical', 'TTL expired')
    }, check.ttlMs)
  }

  #clearTimers(check: Check): void {
    clearTimeout(check.ttlTimer)
    clearTimeout(check.reapTimer)
  }

  #health(service: string, passingOnly: boolean) {
    const serfHealth = {
      Node: NODE,
      CheckID: 'serfHealth',
      Name: 'Serf Health Status',
      Status: 'passing' as Status,
      Output: 'Agent alive and reachable',
      ServiceID: '',
      ServiceName: '',
    }
    const entries = []
    for (const s of this.#services.values()) {
      if (s.Service !== service) continue
      const checks = [
        serfHealth,
        ...[...this.#checks.values()]
          .filter((c) => c.ServiceID === s.ID)
          .map((c) => ({
            Node: NODE,
            CheckID: c.CheckID,
            Name: c.Name,
            Status: c.Status,
            Output: c.Output,
            ServiceID: c.ServiceID,
            ServiceName: c.ServiceName,
          })),
      ]
      if (passingOnly && checks.some((c) => c.Status !== 'passing')) continue
      entries.push({
        Node: { ID: '', Node: NODE, Address: NODE_ADDRESS, Datacenter: 'dc1', Meta: {} },
        Service: { ...s },
        Checks: checks,
      })
    }
    return entries
  }
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'Request body too large'))
        req.destroy()
      } else chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function reply(res: ServerResponse, status: number, text: string, index?: number): void {
  res.statusCode = status
  res.setHeader('content-type', status === 200 && text !== '' ? 'application/json' : 'text/plain')
  if (index !== undefined) {
    res.setHeader('x-consul-index', String(Math.max(index, 1)))
    res.setHeader('x-consul-knownleader', 'true')
    res.setHeader('x-consul-lastcontact', '0')
  }
  res.end(text)
}

/** A fake Consul agent started on a free loopback port. */
export async function startFakeConsul(): Promise<FakeConsul> {
  const consul = new FakeConsul()
  await consul.start(0)
  return consul
}
