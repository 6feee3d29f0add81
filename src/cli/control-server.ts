/**
 * The agent's control API: JSON over HTTP on a unix socket or a loopback port. Every route is
 * a thin call on the node's public API; `watch` streams NDJSON (a snapshot line, then one line
 * per change) until the client goes away.
 *
 *   GET  /v1/status                      peerId, addresses, peers, liveNodes, stats, bridges
 *   GET  /v1/services[?service=NAME]     live instances
 *   GET  /v1/leader?service=NAME         { leader: instance | null, term: number | null }
 *   GET  /v1/watch[?service=NAME]        NDJSON events
 *   POST /v1/register   InstanceSpec     the registered instance
 *   POST /v1/deregister { service, id }  { removed: boolean }
 *
 * Every request passes control-guard.ts first (token, no browsers). A unix socket is created
 * 0600 (under a 0600 umask, so no other user can connect even before the chmod); Node offers no
 * SO_PEERCRED, so the socket's mode and the token file's are what identify the caller. Watch
 * streams are capped in number and in unread bytes; bodies in size. /v1/status reports the
 * open watchers and every refusal by reason.
 */
import { chmod, unlink } from 'node:fs/promises'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname } from 'node:path'
import { GossipSdError, type InstanceSpec, InvalidArgumentError, instanceKey } from '../contract.ts'
import type { Election } from '../election/index.ts'
import type { GossipNode } from '../node/index.ts'
import {
  allowedHosts,
  CONTROL_REJECTIONS,
  type ControlRejection,
  checkRequest,
  type Refusal,
  refusal,
} from './control-guard.ts'
import { createToken, ensureRunDirectory, removeToken, sweepDeadAgents } from './control-token.ts'
import { type ControlEndpoint, runDirectory } from './endpoint.ts'
import { changeToJson, instanceToJson } from './json.ts'
import { http } from './node-http.ts'

export interface ControlLimits {
  /** Largest request body. @default 1048576 (1 MiB; a registration is at most 128 KiB signed) */
  readonly maxBodyBytes: number
  /** Watch streams open at once. @default 64 */
  readonly maxWatchers: number
  /** Bytes a watcher may leave unread before its stream is cut. @default 1048576 */
  readonly maxWatcherBacklogBytes: number
  /** Connections open at once. @default 256 */
  readonly maxConnections: number
}

export const DEFAULT_CONTROL_LIMITS: ControlLimits = {
  maxBodyBytes: 1024 * 1024,
  maxWatchers: 64,
  maxWatcherBacklogBytes: 1024 * 1024,
  maxConnections: 256,
}

export interface ControlStats {
  watchers: number
  rejected: Record<ControlRejection, number>
}

export interface ControlServer {
  /** The endpoint actually bound (a TCP port 0 resolved). */
  readonly endpoint: ControlEndpoint
  readonly stats: ControlStats
  /**
   * The sweep of dead agents' tokens from the run directory, begun once the endpoint serves
   * (see control-token.ts); never rejects. `close` waits for it.
   */
  readonly swept: Promise<void>
  close(): Promise<void>
}

/** A refused request: answered with `status` and counted under `reason`. */
class RefusedError extends Error {
  readonly refusal: Refusal
  constructor(refused: Refusal) {
    super(refused.message)
    this.refusal = refused
  }
}

interface Context {
  readonly node: GossipNode
  readonly election: Election
  readonly limits: ControlLimits
  readonly stats: ControlStats
  readonly extras: StatusExtras
}

/** More the agent runs beside the node, reported by /v1/status. */
export interface StatusExtras {
  /** Each store bridge's state and counts. */
  readonly bridges?: () => readonly unknown[]
}

export async function startControlServer(
  node: GossipNode,
  endpoint: ControlEndpoint,
  limits: Partial<ControlLimits> = {},
  extras: StatusExtras = {},
): Promise<ControlServer> {
  const stats: ControlStats = {
    watchers: 0,
    rejected: Object.fromEntries(CONTROL_REJECTIONS.map((r) => [r, 0])) as ControlStats['rejected'],
  }
  const context: Context = {
    node,
    election: node.election(),
    limits: { ...DEFAULT_CONTROL_LIMITS, ...limits },
    stats,
    extras,
  }
  let token: string | undefined
  let hosts: ReadonlySet<string> | undefined
  const server = http.createServer((req, res) => {
    const refused =
      token === undefined
        ? refusal('token', 401, 'the agent is starting')
        : checkRequest(req, token, hosts)
    const handled =
      refused === undefined ? route(context, req, res) : Promise.reject(new RefusedError(refused))
    handled.catch((err: unknown) => sendError(res, err, stats))
  })
  server.maxConnections = context.limits.maxConnections
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  try {
    await listen(server, endpoint)
  } catch (err) {
    context.election.close()
    throw err
  }
  const bound: ControlEndpoint =
    endpoint.kind === 'unix'
      ? endpoint
      : { ...endpoint, port: (server.address() as AddressInfo).port }
  hosts = allowedHosts(bound)
  try {
    token = await createToken(bound)
  } catch (err) {
    context.election.close()
    await closeServer(server, bound)
    throw err
  }
  const swept = inRunDirectory(bound) ? sweepDeadAgents().catch(() => undefined) : Promise.resolve()
  return {
    endpoint: bound,
    stats,
    swept,
    close: async () => {
      context.election.close()
      await closeServer(server, bound)
      await swept
    },
  }
}

async function listen(server: Server, endpoint: ControlEndpoint): Promise<void> {
  if (endpoint.kind === 'tcp') {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(endpoint.port, endpoint.host, resolve)
    })
    return
  }
  if (inRunDirectory(endpoint)) await ensureRunDirectory()
  await unlink(endpoint.path).catch(() => undefined)
  // The socket is created under a umask that leaves it 0600 from its first instant.
  const umask = process.umask(0o177)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(endpoint.path, resolve)
    })
  } finally {
    process.umask(umask)
  }
  await chmod(endpoint.path, 0o600)
}

/** A TCP endpoint's token, and a socket in the default place, live in the run directory. */
function inRunDirectory(endpoint: ControlEndpoint): boolean {
  return endpoint.kind === 'tcp' || dirname(endpoint.path) === runDirectory()
}

async function closeServer(server: Server, endpoint: ControlEndpoint): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (endpoint.kind === 'unix') await unlink(endpoint.path).catch(() => undefined)
  await removeToken(endpoint)
}

/** The agent process's memory and the size of its replica (bench:soak watches them over time). */
function processFacts(node: GossipNode): Record<string, number> {
  const { heapUsed, rss } = process.memoryUsage()
  const { statementsHeld, ownersHeld } = node.stats()
  return {
    heapUsedBytes: heapUsed,
    rssBytes: rss,
    heldStatements: statementsHeld,
    owners: ownersHeld,
  }
}

async function route(context: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { node, election } = context
  const url = new URL(req.url ?? '/', 'http://control')
  const service = url.searchParams.get('service') ?? undefined
  const key = `${req.method} ${url.pathname}`
  switch (key) {
    case 'GET /v1/status':
      return sendJson(res, 200, {
        peerId: node.peerId,
        cluster: node.cluster,
        addresses: node.addresses(),
        peers: node.peers(),
        liveNodes: node.liveNodes(),
        heartbeat: { ...node.heartbeatSchedule(), capacity: node.heartbeatCapacity() },
        stats: node.stats(),
        control: context.stats,
        process: processFacts(node),
        bridges: context.extras.bridges?.() ?? [],
      })
    case 'GET /v1/services':
      return sendJson(res, 200, {
        instances: (service === undefined ? node.services() : node.lookup(service)).map(
          instanceToJson,
        ),
      })
    case 'GET /v1/leader': {
      if (service === undefined) throw new InvalidArgumentError('leader needs ?service=NAME')
      const leadership = election.leader(service)
      return sendJson(res, 200, {
        leader: leadership === undefined ? null : instanceToJson(leadership.instance),
        term: leadership?.term ?? null,
      })
    }
    case 'GET /v1/watch':
      return streamWatch(context, service, req, res)
    case 'POST /v1/register': {
      // The node validates every field of the spec and throws named errors.
      const handle = await node.register((await readJson(req, context.limits)) as InstanceSpec)
      return sendJson(res, 200, { instance: instanceToJson(handle.instance) })
    }
    case 'POST /v1/deregister': {
      const body = ((await readJson(req, context.limits)) ?? {}) as {
        service?: unknown
        id?: unknown
      }
      if (typeof body.service !== 'string' || typeof body.id !== 'string')
        throw new InvalidArgumentError('deregister takes { service, id }')
      const removed = await node.deregister(instanceKey(node.peerId, body.service, body.id))
      return sendJson(res, 200, { removed })
    }
    default:
      return sendJson(res, 404, { error: { name: 'NotFound', message: `no route ${key}` } })
  }
}

async function streamWatch(
  context: Context,
  service: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { stats, limits } = context
  if (stats.watchers >= limits.maxWatchers)
    throw new RefusedError(
      refusal('watchers', 429, `${limits.maxWatchers} watch streams are open already`),
    )
  stats.watchers++
  const abort = new AbortController()
  req.socket.once('close', () => abort.abort())
  try {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' })
    for await (const event of context.node.watch(service, { signal: abort.signal })) {
      const line =
        event.type === 'snapshot'
          ? { type: 'snapshot', instances: event.instances.map(instanceToJson), at: Date.now() }
          : changeToJson(event, Date.now())
      res.write(`${JSON.stringify(line)}\n`)
      if (res.writableLength > limits.maxWatcherBacklogBytes) {
        // A watcher that does not read would make the agent buffer every change for it.
        stats.rejected['slow-watcher']++
        res.destroy()
        return
      }
    }
    res.end()
  } finally {
    stats.watchers--
  }
}

async function readJson(req: IncomingMessage, limits: ControlLimits): Promise<unknown> {
  const tooLarge = (): RefusedError =>
    new RefusedError(
      refusal('body-too-large', 413, `request bodies are limited to ${limits.maxBodyBytes} bytes`),
    )
  if (Number(req.headers['content-length'] ?? 0) > limits.maxBodyBytes) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength
    if (size > limits.maxBodyBytes) throw tooLarge()
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new InvalidArgumentError('request body is not JSON')
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

function sendError(res: ServerResponse, err: unknown, stats: ControlStats): void {
  if (err instanceof RefusedError) stats.rejected[err.refusal.reason]++
  if (res.headersSent) {
    res.destroy()
    return
  }
  if (err instanceof RefusedError) {
    // The request may still be sending its body: answer, then close rather than read it all.
    res.setHeader('connection', 'close')
    sendJson(res, err.refusal.status, {
      error: { name: 'ControlRequestRefused', code: err.refusal.reason, message: err.message },
    })
    return
  }
  const known = err instanceof GossipSdError
  sendJson(res, known ? 400 : 500, {
    error: {
      name: err instanceof Error ? err.name : 'Error',
      code: known ? err.code : undefined,
      message: err instanceof Error ? err.message : String(err),
    },
  })
}
