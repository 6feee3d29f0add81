/**
 * The few calls of Consul's HTTP API a bridge makes, on Node's own fetch, each with a deadline:
 * agent service register and deregister, TTL check pass, the catalog's service names and a
 * service's health entries (both as blocking queries, returning X-Consul-Index). Answers are
 * hostile input: bodies are read up to a byte bound, parsed, and every entry is checked field
 * by field; an entry of the wrong shape is dropped, a body of the wrong shape is an error.
 */
import { GossipSdError, InputTooLargeError, MalformedInputError } from '../../../contract.ts'

/** Consul answered with an error status, or could not be reached in time. */
export class ConsulRequestError extends GossipSdError<'ERR_CONSUL'> {
  /** The HTTP status, or 0 when no answer came (refused, reset, timed out). */
  readonly status: number
  constructor(what: string, status: number, detail: string) {
    super('ERR_CONSUL', `Consul ${what}: ${status === 0 ? '' : `HTTP ${status} `}${detail}`)
    this.status = status
  }
}

/** A service instance as a health query returns it (the fields a bridge reads). */
export interface ConsulServiceEntry {
  readonly node: string
  readonly nodeAddress: string
  readonly id: string
  readonly service: string
  readonly address: string
  readonly port: number
  readonly meta: Readonly<Record<string, string>>
}

/** An agent service registration with one TTL check (Go's AgentServiceRegistration). */
export interface ConsulRegistration {
  readonly ID: string
  readonly Name: string
  readonly Address: string
  readonly Port: number
  readonly Meta: Readonly<Record<string, string>>
  readonly Check: {
    readonly CheckID: string
    readonly Name: string
    readonly TTL: string
    readonly Status: 'passing'
    readonly DeregisterCriticalServiceAfter: string
  }
}

/** One answer of a blocking query: its body and the raw X-Consul-Index header. */
export interface Blocking<T> {
  readonly index: string | null
  readonly body: T
}

/** Where a blocking query starts and how long the server may hold it. */
export interface BlockingParams {
  readonly index: number
  readonly waitS: number
  readonly signal?: AbortSignal
}

/** Bound on one answer's body. */
const MAX_BODY_BYTES = 8 * 1024 * 1024

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (!isRecord(value)) return out
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v
  return out
}

/** A health entry with the fields a bridge needs, or undefined when it has the wrong shape. */
function serviceEntry(value: unknown): ConsulServiceEntry | undefined {
  if (!isRecord(value) || !isRecord(value.Node) || !isRecord(value.Service)) return undefined
  const { Node: node, Service: s } = value
  if (typeof node.Node !== 'string' || typeof s.ID !== 'string' || typeof s.Service !== 'string')
    return undefined
  const port = s.Port ?? 0
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65_535) return undefined
  return {
    node: node.Node,
    nodeAddress: typeof node.Address === 'string' ? node.Address : '',
    id: s.ID,
    service: s.Service,
    address: typeof s.Address === 'string' ? s.Address : '',
    port: port as number,
    meta: stringMap(s.Meta),
  }
}

async function boundedText(res: Response, what: string): Promise<string> {
  const reader = res.body?.getReader()
  if (reader === undefined) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_BODY_BYTES) {
      await reader.cancel()
      throw new InputTooLargeError(`Consul ${what}: answer larger than ${MAX_BODY_BYTES} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Consul's HTTP API at one agent's address. */
export class ConsulApi {
  readonly #base: string
  readonly #timeoutMs: number

  /** `base` is the agent's address, e.g. "http://127.0.0.1:8500"; calls end after `timeoutMs`. */
  constructor(base: string, timeoutMs: number) {
    this.#base = base.replace(/\/+$/, '')
    this.#timeoutMs = timeoutMs
  }

  /** PUT /v1/agent/service/register: adds or replaces a service on the agent. */
  async register(registration: ConsulRegistration): Promise<void> {
    await this.#call('PUT', '/v1/agent/service/register', JSON.stringify(registration))
  }

  /** PUT /v1/agent/service/deregister/:id; a service the agent does not know is no error. */
  async deregister(serviceId: string): Promise<void> {
    try {
      await this.#call('PUT', `/v1/agent/service/deregister/${encodeURIComponent(serviceId)}`)
    } catch (err) {
      if (!(err instanceof ConsulRequestError && err.status === 404)) throw err
    }
  }

  /** PUT /v1/agent/check/pass/:id: sets a TTL check passing and restarts its clock. */
  async pass(checkId: string): Promise<void> {
    await this.#call('PUT', `/v1/agent/check/pass/${encodeURIComponent(checkId)}`)
  }

  /** GET /v1/catalog/services: every service name in the datacenter. */
  async services(params?: BlockingParams): Promise<Blocking<string[]>> {
    const res = await this.#call('GET', `/v1/catalog/services${blockingQuery(params)}`, undefined, {
      blockingS: params?.waitS,
      signal: params?.signal,
    })
    const body = parse(res.text, 'catalog services')
    if (!isRecord(body)) throw new MalformedInputError('Consul catalog services: not an object')
    return { index: res.index, body: Object.keys(body) }
  }

  /** GET /v1/health/service/:name?passing: the instances whose every check passes. */
  async passing(service: string, params?: BlockingParams): Promise<Blocking<ConsulServiceEntry[]>> {
    const query = blockingQuery(params)
    const res = await this.#call(
      'GET',
      `/v1/health/service/${encodeURIComponent(service)}${query === '' ? '?' : `${query}&`}passing`,
      undefined,
      { blockingS: params?.waitS, signal: params?.signal },
    )
    const body = parse(res.text, `health service ${service}`)
    if (!Array.isArray(body)) {
      throw new MalformedInputError(`Consul health service ${service}: not an array`)
    }
    const entries: ConsulServiceEntry[] = []
    for (const raw of body) {
      const entry = serviceEntry(raw)
      if (entry !== undefined && entry.service === service) entries.push(entry)
    }
    return { index: res.index, body: entries }
  }

  async #call(
    method: 'GET' | 'PUT',
    path: string,
    body?: string,
    options: { blockingS?: number | undefined; signal?: AbortSignal | undefined } = {},
  ): Promise<{ text: string; index: string | null }> {
    const what = `${method} ${path.split('?')[0]}`
    // A blocking query may be held for its wait plus Consul's jitter (up to wait / 16)
    const ms = this.#timeoutMs + (options.blockingS ?? 0) * 1000 * (17 / 16)
    const deadline = AbortSignal.timeout(ms)
    const signal =
      options.signal === undefined ? deadline : AbortSignal.any([deadline, options.signal])
    let res: Response
    let text: string
    try {
      res = await fetch(`${this.#base}${path}`, {
        method,
        signal,
        ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
      })
      text = await boundedText(res, what)
    } catch (err) {
      if (err instanceof InputTooLargeError) throw err
      const cause = (err as { cause?: { code?: string } }).cause?.code
      throw new ConsulRequestError(what, 0, cause ?? (err as Error).message)
    }
    if (!res.ok) throw new ConsulRequestError(what, res.status, text.slice(0, 200))
    return { text, index: res.headers.get('x-consul-index') }
  }
}

function blockingQuery(params: BlockingParams | undefined): string {
  if (params === undefined) return ''
  return `?index=${params.index}&wait=${params.waitS}s`
}

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new MalformedInputError(`Consul ${what}: answer is not JSON`)
  }
}
