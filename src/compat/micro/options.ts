/**
 * go-micro registry options, mapped to what the mesh has. There is no registry server to dial:
 *
 * | go-micro            | here                                                                |
 * | ------------------- | ------------------------------------------------------------------- |
 * | Addrs(...)          | `addrs`: bootstrap peers (multiaddrs) of the node — see meshInitFrom |
 * | Timeout(d)          | `timeout` (ms): bound on register/deregister, on the node's clock    |
 * | Secure(b)           | `secure`: the transport is always encrypted (noise); with a key it    |
 * |                     | is also a private cluster                                           |
 * | TLSConfig(t)        | `tlsConfig.preSharedKey`: the libp2p pnet swarm key that keeps       |
 * |                     | outsiders off the transport                                         |
 * | RegisterTTL(d)      | register(service, { ttl }) (ms): the instances' TTL                  |
 * | WatchService(name)  | watch({ service })                                                  |
 * | Context             | not needed: an AbortSignal goes where a context cancelled work       |
 *
 * A node's transport is fixed when it is built, so addrs/secure/tlsConfig are applied by handing
 * `meshInitFrom(options)` to the node factory; the registry only keeps and reports them.
 */
import { InvalidArgumentError } from '../../contract.ts'
import { requireDuration, requireString } from '../shared/validate.ts'

/** The part of go-micro's tls.Config the mesh can honour. */
export interface TlsConfig {
  /** A libp2p pnet swarm key: only nodes holding it can connect. */
  preSharedKey: Uint8Array
}

/** go-micro registry options. */
export interface Options {
  /** Bootstrap peers of the node (go-micro registry addresses). @default [] */
  addrs: string[]
  /**
   * Longest a register/deregister may take, in ms; 0 means no bound. @default 1000 (go-micro's
   * mDNS uses 100 ms for queries; a push through a busy mesh can take longer, and a timed-out
   * registration may still land)
   */
  timeout: number
  /** Ask for a private, encrypted cluster. @default false */
  secure: boolean
  /** The pre-shared key of a private cluster. @default undefined */
  tlsConfig?: TlsConfig
}

/** Options of one register call (go-micro `RegisterOption`s). */
export interface RegisterOptions {
  /** TTL of the registered nodes, in ms (go-micro `RegisterTTL`). @default the node's default TTL */
  ttl?: number
}

/** Options of one watch call (go-micro `WatchOption`s). */
export interface WatchOptions {
  /** Only watch this service; all services when absent (go-micro `WatchService`). */
  service?: string
}

/**
 * What a node factory needs from the options (go-micro Addrs/Secure/TLSConfig), named as
 * `createNode` names them: `createNode({ ...meshInitFrom(registry.options()) })`.
 */
export interface MeshInitFromOptions {
  bootstrap: string[]
  psk?: Uint8Array
}

export function defaultOptions(): Options {
  return { addrs: [], timeout: 1000, secure: false }
}

/** Applies `changes` over `base`, checking every field. */
export function applyOptions(base: Options, changes: unknown): Options {
  if (changes === undefined) return { ...base, addrs: [...base.addrs] }
  if (changes === null || typeof changes !== 'object') {
    throw new InvalidArgumentError('registry options must be an object')
  }
  const c = changes as Partial<Record<keyof Options, unknown>>
  const next: Options = { ...base, addrs: [...base.addrs] }
  if (c.addrs !== undefined) {
    if (!Array.isArray(c.addrs)) throw new InvalidArgumentError('addrs must be an array')
    next.addrs = c.addrs.map((a: unknown, i) => requireString(`addrs[${i}]`, a))
  }
  if (c.timeout !== undefined) next.timeout = requireDuration('timeout', c.timeout)
  if (c.secure !== undefined) {
    if (typeof c.secure !== 'boolean') throw new InvalidArgumentError('secure must be a boolean')
    next.secure = c.secure
  }
  if (c.tlsConfig !== undefined) {
    const key = (c.tlsConfig as Partial<TlsConfig> | null)?.preSharedKey
    if (!(key instanceof Uint8Array) || key.byteLength === 0) {
      throw new InvalidArgumentError('tlsConfig.preSharedKey must be a non-empty Uint8Array')
    }
    next.tlsConfig = { preSharedKey: key }
  }
  return next
}

/** The node settings these options stand for: pass them to the node factory. */
export function meshInitFrom(options: Options): MeshInitFromOptions {
  const init: MeshInitFromOptions = { bootstrap: [...options.addrs] }
  if (options.secure && options.tlsConfig !== undefined) {
    init.psk = options.tlsConfig.preSharedKey
  }
  return init
}
