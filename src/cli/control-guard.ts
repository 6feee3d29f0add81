/**
 * Who may talk to the control endpoint. The agent's own user, through a CLI or a script, may;
 * other local users and web pages may not. Checked on every request, before routing:
 *
 * 1. Browser-shaped requests are refused outright: an `Origin` header or any `Sec-Fetch-*`
 *    header (every current browser sends them; our client never does). Nothing answers with
 *    CORS headers, so a page cannot read an answer even if a request got through.
 * 2. On TCP, the `Host` header must name the loopback address and port itself: a page on a
 *    DNS-rebound name (evil.example resolving to 127.0.0.1) sends its own name and is refused.
 * 3. The bearer token (control-token.ts) must match, compared in constant time.
 * 4. A POST must say `content-type: application/json`: the content types a page may POST
 *    without a CORS preflight (form encodings, text/plain) are refused.
 *
 * Every refusal is counted by reason and answered with a JSON error and no other detail.
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { ControlEndpoint } from './endpoint.ts'

export const CONTROL_REJECTIONS = [
  'browser-origin',
  'fetch-metadata',
  'host',
  'token',
  'content-type',
  'body-too-large',
  'watchers',
  'slow-watcher',
] as const

export type ControlRejection = (typeof CONTROL_REJECTIONS)[number]

export interface Refusal {
  readonly status: number
  readonly reason: ControlRejection
  readonly message: string
}

export function refusal(reason: ControlRejection, status: number, message: string): Refusal {
  return { status, reason, message }
}

/** The Host values a TCP endpoint answers to: its own address and port, by IP or `localhost`. */
export function allowedHosts(endpoint: ControlEndpoint): ReadonlySet<string> | undefined {
  if (endpoint.kind === 'unix') return undefined
  const { port } = endpoint
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
}

/** Why `req` is refused, or undefined when it may proceed. */
export function checkRequest(
  req: IncomingMessage,
  token: string,
  hosts: ReadonlySet<string> | undefined,
): Refusal | undefined {
  if (req.headers.origin !== undefined)
    return refusal('browser-origin', 403, 'requests from web pages are refused')
  if (Object.keys(req.headers).some((name) => name.startsWith('sec-fetch-')))
    return refusal('fetch-metadata', 403, 'requests from web pages are refused')
  if (hosts !== undefined && !hosts.has((req.headers.host ?? '').toLowerCase()))
    return refusal('host', 403, 'the Host header does not name this endpoint')
  if (!tokenMatches(req.headers.authorization, token))
    return refusal('token', 401, 'a valid control token is required (authorization: Bearer)')
  if (req.method === 'POST' && !isJson(req.headers['content-type']))
    return refusal('content-type', 415, 'requests with a body must be application/json')
  return undefined
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer ([0-9a-f]+)$/.exec(header ?? '')?.[1] ?? '', 'utf8')
  const expected = Buffer.from(token, 'utf8')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json'
}
