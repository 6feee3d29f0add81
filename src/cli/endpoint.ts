/**
 * The agent's control endpoint: a unix socket path, or a TCP port on loopback. Only loopback
 * hosts are accepted: the control API can register and delete services, and its token (see
 * control-token.ts) is the only thing between it and any local process.
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { UsageError } from './args.ts'

export type ControlEndpoint =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

export function parseEndpoint(text: string): ControlEndpoint {
  const tcp = /^(.*):([0-9]{1,5})$/.exec(text)
  if (tcp !== null && !text.includes('/')) {
    const host = tcp[1] as string
    const port = Number(tcp[2])
    if (!LOOPBACK_HOSTS.has(host))
      throw new UsageError(`control endpoint host must be loopback (127.0.0.1), not "${host}"`)
    if (port > 65535) throw new UsageError(`control endpoint port ${port} is out of range`)
    return { kind: 'tcp', host: host === '[::1]' ? '::1' : host, port }
  }
  if (text === '') throw new UsageError('control endpoint is empty')
  return { kind: 'unix', path: text }
}

export function formatEndpoint(endpoint: ControlEndpoint): string {
  if (endpoint.kind === 'unix') return endpoint.path
  return endpoint.host.includes(':')
    ? `[${endpoint.host}]:${endpoint.port}`
    : `${endpoint.host}:${endpoint.port}`
}

/**
 * This user's directory for control sockets and tokens: `gossip-sd-<uid>` in the OS temp dir
 * (created 0700 and checked by control-token.ts before use).
 */
export function runDirectory(): string {
  return join(tmpdir(), `gossip-sd-${process.getuid?.() ?? 'user'}`)
}

/** The agent's default: a unix socket in this user's run directory, named after the cluster and pid. */
export function defaultEndpoint(cluster: string, pid: number): ControlEndpoint {
  return { kind: 'unix', path: join(runDirectory(), `${cluster}-${pid}.sock`) }
}

/** The endpoint a client command talks to: --control, else $GOSSIP_SD_CONTROL. */
export function clientEndpoint(flag: string | undefined): ControlEndpoint {
  const text = flag ?? process.env.GOSSIP_SD_CONTROL
  if (text === undefined)
    throw new UsageError('--control ENDPOINT is required (or set GOSSIP_SD_CONTROL)')
  return parseEndpoint(text)
}
