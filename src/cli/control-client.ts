/**
 * The client side of the control API (see control-server.ts): JSON requests and NDJSON streams,
 * each carrying the agent's token, read from its file (control-token.ts) for every request.
 */
import type { IncomingMessage } from 'node:http'
import { createInterface } from 'node:readline'
import { readToken } from './control-token.ts'
import { type ControlEndpoint, formatEndpoint } from './endpoint.ts'
import { http } from './node-http.ts'

/** The agent answered with an error, or could not be reached. The CLI exits with code 1. */
export class ControlError extends Error {
  override readonly name = 'ControlError'
}

async function open(
  endpoint: ControlEndpoint,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<IncomingMessage> {
  const unreachable = (reason: string): ControlError =>
    new ControlError(`cannot reach the agent at ${formatEndpoint(endpoint)}: ${reason}`)
  const token = await readToken(endpoint).catch((err: unknown) => {
    throw unreachable(err instanceof Error ? err.message : String(err))
  })
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...(endpoint.kind === 'unix'
          ? { socketPath: endpoint.path }
          : { host: endpoint.host, port: endpoint.port }),
        method,
        path,
        // One connection per request: a kept-alive socket that the agent times out just as a
        // request reuses it fails with ECONNRESET.
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      resolve,
    )
    req.once('error', (err) => reject(unreachable(err.message)))
    req.end(payload)
  })
}

/** One JSON request; resolves with the response body, rejects with ControlError. */
export async function controlRequest<T>(
  endpoint: ControlEndpoint,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await open(endpoint, method, path, body)
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new ControlError(
      `the agent answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`,
    )
  }
  if (res.statusCode !== 200) {
    const error = (parsed as { error?: { name?: string; message?: string } }).error
    throw new ControlError(`${error?.name ?? 'Error'}: ${error?.message ?? text}`)
  }
  return parsed as T
}

/** Streams the lines of an NDJSON response until the agent ends it. */
export async function* controlLines(
  endpoint: ControlEndpoint,
  path: string,
): AsyncGenerator<string> {
  const res = await open(endpoint, 'GET', path)
  if (res.statusCode !== 200) throw new ControlError(`the agent answered ${res.statusCode}`)
  for await (const line of createInterface({ input: res, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line !== '') yield line
  }
}

/** `?service=NAME` or nothing. */
export function serviceQuery(service: string | undefined): string {
  return service === undefined ? '' : `?service=${encodeURIComponent(service)}`
}
