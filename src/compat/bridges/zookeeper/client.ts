/**
 * The few ZooKeeper calls a bridge makes, as Promises with a deadline, over
 * `node-zookeeper-client` (pure JavaScript). Its requests wait while the server is away; the
 * deadline turns that into a rejection the bridge retries with backoff. Every client is created
 * with the library's faults contained (containment.ts).
 */
import zookeeper from 'node-zookeeper-client'
import { GossipSdError } from '../../../contract.ts'
import { closeClient, contain, type ZooKeeperProtocolError } from './containment.ts'

/** A ZooKeeper call did not answer within its deadline. */
export class ZooKeeperTimeoutError extends GossipSdError<'ERR_ZOOKEEPER_TIMEOUT'> {
  constructor(what: string, ms: number) {
    super('ERR_ZOOKEEPER_TIMEOUT', `ZooKeeper ${what} did not answer within ${ms} ms`)
  }
}

/** The server ended the client's session (its ephemerals are gone). */
export class ZooKeeperSessionExpiredError extends GossipSdError<'ERR_ZOOKEEPER_SESSION_EXPIRED'> {
  constructor() {
    super('ERR_ZOOKEEPER_SESSION_EXPIRED', 'the ZooKeeper session expired')
  }
}

export type ZkClient = zookeeper.Client
export type ZkStat = zookeeper.Stat
export type ZkEvent = zookeeper.Event
/** What the library's callbacks report. */
export type ZkError = Error | zookeeper.Exception
export const { CreateMode, Exception } = zookeeper

/** The ZooKeeper error code of `err`, or undefined for other errors. */
export function zkCode(err: unknown): number | undefined {
  return err instanceof zookeeper.Exception ? err.getCode() : undefined
}

/**
 * Runs one callback-style call as a Promise that rejects after `ms`, or at once with the
 * signal's reason when `signal` aborts (its client was replaced): a reply the library lost never
 * leaves a caller waiting.
 */
export function call<T>(
  what: string,
  ms: number,
  start: (done: (err: ZkError | null, value: T) => void) => void,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const settle = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    const onAbort = (): void => {
      settle()
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      settle()
      reject(new ZooKeeperTimeoutError(what, ms))
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
    start((err, value) => {
      settle()
      if (err) reject(err)
      else resolve(value)
    })
  })
}

/**
 * Connects a new client (a new session) and resolves once it is connected; after `ms` its
 * socket is destroyed and the promise rejects. `onProtocolError` hears of every reply the
 * library could not read (the client's socket is then already destroyed).
 */
export function connect(
  servers: string,
  sessionTimeoutMs: number,
  ms: number,
  onProtocolError: (err: ZooKeeperProtocolError) => void = () => undefined,
): Promise<ZkClient> {
  const client = zookeeper.createClient(servers, {
    sessionTimeout: sessionTimeoutMs,
    spinDelay: 200,
    retries: 0,
  })
  contain(client, onProtocolError)
  return new Promise<ZkClient>((resolve, reject) => {
    const timer = setTimeout(() => {
      void closeClient(client, 0)
      reject(new ZooKeeperTimeoutError(`connect to ${servers}`, ms))
    }, ms)
    client.once('connected', () => {
      clearTimeout(timer)
      resolve(client)
    })
    client.connect()
  })
}

/** True while `client` says it is connected to a server. */
export function isConnected(client: ZkClient): boolean {
  return client.getState() === zookeeper.State.SYNC_CONNECTED
}

/** The hex form of a session ID, as ZooKeeper's own tools print it. */
export function sessionHex(id: Buffer): string {
  return id.toString('hex')
}
