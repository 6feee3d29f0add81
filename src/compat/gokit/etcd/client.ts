/**
 * go-kit `sd/etcd`'s Client shape, and the types it speaks: Service {key, value, ttl},
 * TTLOption, ErrNoKey, ErrNoValue. Two implementations satisfy `EtcdClient`: the mesh client
 * here (an etcd-style keyspace served by a discovery node, see shared/keyspace.ts) and the etcd
 * bridge (a real etcd). The Instancer and Registrar in this folder work on either.
 */
import { GossipSdError } from '../../../contract.ts'
import { requireDuration } from '../../shared/validate.ts'

/** A client method needs a key but received none (go-kit `etcd.ErrNoKey`). */
export class NoKeyError extends GossipSdError<'ERR_NO_KEY'> {
  constructor() {
    super('ERR_NO_KEY', 'no key provided')
  }
}

/** A client method needs a value but received none (go-kit `etcd.ErrNoValue`). */
export class NoValueError extends GossipSdError<'ERR_NO_VALUE'> {
  constructor() {
    super('ERR_NO_VALUE', 'no value provided')
  }
}

/** Shortest heartbeat go-kit accepts; shorter ones are raised to it. */
export const MIN_HEARTBEAT_MS = 500

/**
 * A key's lease settings (go-kit `etcd.TTLOption`). `heartbeat` is how often the lease is
 * refreshed and `ttl` how long the key outlives the last refresh. Over the mesh the node's own
 * heartbeat (one signed statement for all its instances) refreshes the key, so `ttl` becomes the
 * instance TTL and `heartbeat` is what a real etcd (the bridge) uses.
 */
export interface TTLOption {
  readonly heartbeat: number
  readonly ttl: number
}

/**
 * go-kit `NewTTLOption(heartbeat, ttl)`, in ms: a heartbeat under 500 ms is raised to 500 ms and a
 * TTL not above the heartbeat becomes three heartbeats. Good defaults: 3000 and 10000.
 */
export function newTTLOption(heartbeatMs: number, ttlMs: number): TTLOption {
  const heartbeat = Math.max(requireDuration('heartbeat', heartbeatMs), MIN_HEARTBEAT_MS)
  const ttl = requireDuration('ttl', ttlMs)
  return { heartbeat, ttl: ttl <= heartbeat ? 3 * heartbeat : ttl }
}

/** What to publish (go-kit `etcd.Service`): a unique key and the instance string as value. */
export interface Service {
  /** Unique key, e.g. "/service/foobar/1.2.3.4:8080". */
  key: string
  /** Returned to subscribers, e.g. "http://1.2.3.4:8080". */
  value: string
  /** Lease settings; without them the key lives as long as its registrar (node default TTL). */
  ttl?: TTLOption
}

/**
 * How to reach a real etcd (go-kit `etcd.ClientOptions`): used by the etcd bridge; the mesh
 * client needs none. Durations in ms; each defaults to 3000 when absent.
 */
export interface ClientOptions {
  cert?: string
  key?: string
  caCert?: string
  dialTimeout?: number
  dialKeepAlive?: number
  headerTimeoutPerRequest?: number
}

/** go-kit `etcd.Client`. */
export interface EtcdClient {
  /** The values of every key under `prefix`, in key order. */
  getEntries(prefix: string): Promise<string[]>
  /**
   * Signals (yields `undefined`) once at once, then whenever something under `prefix` changes;
   * callers re-read with getEntries. Signals coalesce while unread. Ends when `signal` or the
   * client's own signal aborts, or when the caller returns the iterator.
   */
  watchPrefix(prefix: string, signal?: AbortSignal): AsyncIterableIterator<void>
  /** Publishes a Service. Rejects with NoKeyError / NoValueError when either is empty. */
  register(service: Service): Promise<void>
  /** Withdraws a Service. Rejects with NoKeyError when the key is empty. */
  deregister(service: Service): Promise<void>
}
