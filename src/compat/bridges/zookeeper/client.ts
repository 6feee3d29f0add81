/**
 * The few ZooKeeper calls a bridge makes, as Promises with a deadline, over
 * `node-zookeeper-client` (pure JavaScript). Its requests wait while the server is away; the
 * deadline turns that into a rejection the bridge retries with backoff.
 */
import zookeeper from 'node-zookeeper-client'
import { GossipSdError } from '../../../contract.ts'

/** A ZooKeeper call did not answer within its deadline. */
export class ZooKeeperTimeoutError extends GossipSdError<'ERR_ZOOKEEPER_TIMEOUT'> {
  constructor(what: string, ms: number) {
    super('ERR_ZOOKEEPER_TIMEOUT', `ZooKeeper ${what} did not answer within ${ms} ms`)
  }
}

export type ZkClient = zookeeper.Client
export type ZkStat = zookeeper.Stat
export const { CreateMode, Exception } = zookeeper

/** The ZooKeeper error code of `err`, or undefined for other errors. */
export function zkCode(err: unknown): number | undefined {
  return err instanceof zookeeper.Exception ? err.getCode() : undefined
}

/** Runs one callback-style call as a Promise that rejects after `ms`. */
export function call<T>(
  what: string,
  ms: number,
  start: (done: (err: Error | zookeeper.Exception | null, value: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ZooKeeperTimeoutError(what, ms)), ms)
    start((err, value) => {
      clearTimeout(timer)
      if (err) reject(err)
      else resolve(value)
    })
  })
}

/** Connects a new client (a new session) and resolves once it is connected. */
export function connect(servers: string, sessionTimeoutMs: number, ms: number): Promise<ZkClient> {
  const client = zookeeper.createClient(servers, {
    sessionTimeout: sessionTimeoutMs,
    spinDelay: 200,
    retries: 0,
  })
  return new Promise<ZkClient>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.close()
      reject(new ZooKeeperTimeoutError(`connect to ${servers}`, ms))
    }, ms)
    client.once('connected', () => {
      clearTimeout(timer)
      resolve(client)
    })
    client.connect()
  })
}

/** The hex form of a session ID, as ZooKeeper's own tools print it. */
export function sessionHex(id: Buffer): string {
  return id.toString('hex')
}
