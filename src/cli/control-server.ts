/**
 * The agent's control API: JSON over HTTP on a unix socket or a loopback port. Every route is
 * a thin call on the node's public API; `watch` streams NDJSON (a snapshot line, then one line
 * per change) until the client goes away.
 *
 *   GET  /v1/status                      peerId, addresses, peers, liveNodes, stats
 *   GET  /v1/services[?service=NAME]     live instances
 *   GET  /v1/leader?service=NAME         { leader: instance | null, term: number | null }
 *   GET  /v1/watch[?service=NAME]        NDJSON events
 *   POST /v1/register   InstanceSpec     the registered instance
 *   POST /v1/deregister { service, id }  { removed: boolean }
 */
import { unlink } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { GossipSdError, type InstanceSpec, InvalidArgumentError, instanceKey } from '../contract.ts'
import type { Election } from '../election/index.ts'
import type { GossipNode } from '../node/index.ts'
import type { ControlEndpoint } from './endpoint.ts'
import { changeToJson, instanceToJson } from './json.ts'

const MAX_BODY_BYTES = 1024 * 1024

export interface ControlServer {
  /** The endpoint actually bound (a TCP port 0 resolved). */
  readonly endpoint: ControlEndpoint
  close(): Promise<void>
}

export async function startControlServer(
  node: GossipNode,
  endpoint: ControlEndpoint,
): Promise<ControlServer> {
  const election = node.election()
  const server = createServer((req, res) => {
    route(node, election, req, res).catch((err: unknown) => sendError(res, err))
  })
  if (endpoint.kind === 'unix') await unlink(endpoint.path).catch(() => undefined)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    if (endpoint.kind === 'unix') server.listen(endpoint.path, resolve)
    else server.listen(endpoint.port, endpoint.host, resolve)
  })
  const bound: ControlEndpoint =
    endpoint.kind === 'unix'
      ? endpoint
      : { ...endpoint, port: (server.address() as AddressInfo).port }
  return {
    endpoint: bound,
    close: async () => {
      election.close()
      await closeServer(server, bound)
    },
  }
}

async function closeServer(server: Server, endpoint: ControlEndpoint): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (endpoint.kind === 'unix') await unlink(endpoint.path).catch(() => undefined)
}

async function route(
  node: GossipNode,
  election: Election,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
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
      return streamWatch(node, service, req, res)
    case 'POST /v1/register': {
      // The node validates every field of the spec and throws named errors.
      const handle = await node.register((await readJson(req)) as InstanceSpec)
      return sendJson(res, 200, { instance: instanceToJson(handle.instance) })
    }
    case 'POST /v1/deregister': {
      const body = ((await readJson(req)) ?? {}) as { service?: unknown; id?: unknown }
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
  node: GossipNode,
  service: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const abort = new AbortController()
  req.socket.once('close', () => abort.abort())
  res.writeHead(200, { 'content-type': 'application/x-ndjson' })
  for await (const event of node.watch(service, { signal: abort.signal })) {
    const line =
      event.type === 'snapshot'
        ? { type: 'snapshot', instances: event.instances.map(instanceToJson), at: Date.now() }
        : changeToJson(event, Date.now())
    res.write(`${JSON.stringify(line)}\n`)
  }
  res.end()
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength
    if (size > MAX_BODY_BYTES) throw new InvalidArgumentError('request body is too large')
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

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy()
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
