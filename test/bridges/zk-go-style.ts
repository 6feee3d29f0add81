/**
 * ZooKeeper as go-kit's sd/zk reads and writes it, for the bridge tests. `register` does what
 * go-kit's Client.Register does: persistent parents for Path + Name, then a protected ephemeral
 * sequential node `<Path>/_c_<guid>-<Name><sequence>` holding the instance data. `deregister`
 * removes that node (go-kit v0.10 deletes the persistent `<Path><Name>` instead, which leaves the
 * instance until the session ends; a test Registrar that withdrew nothing would be useless).
 * `entries` is go-kit's GetEntries: every child's data, names ignored.
 */
import { randomBytes } from 'node:crypto'
import {
  CreateMode,
  call,
  Exception,
  type ZkClient,
  zkCode,
} from '../../src/compat/bridges/zookeeper/client.ts'
import type { Wake } from './helpers.ts'

const TIMEOUT_MS = 5000

export async function register(
  client: ZkClient,
  path: string,
  name: string,
  data: string,
): Promise<string> {
  const dir = path.endsWith('/') ? path : `${path}/`
  const full = `${dir}${name}`
  let at = ''
  for (const segment of full.split('/').slice(1)) {
    at += `/${segment}`
    try {
      await call<string>('create', TIMEOUT_MS, (done) =>
        client.create(at, Buffer.from(''), CreateMode.PERSISTENT, done),
      )
    } catch (err) {
      if (zkCode(err) !== Exception.NODE_EXISTS) throw err
    }
  }
  const protectedPath = `${dir}_c_${randomBytes(16).toString('hex')}-${name}`
  return call<string>('create', TIMEOUT_MS, (done) =>
    client.create(protectedPath, Buffer.from(data), CreateMode.EPHEMERAL_SEQUENTIAL, done),
  )
}

export async function deregister(client: ZkClient, node: string): Promise<void> {
  await call<void>('remove', TIMEOUT_MS, (done) =>
    client.remove(node, -1, (err) => done(err, undefined)),
  )
}

export async function entries(client: ZkClient, path: string): Promise<string[]> {
  let children: string[]
  try {
    children = await call<string[]>('getChildren', TIMEOUT_MS, (done) =>
      client.getChildren(path, done),
    )
  } catch (err) {
    if (zkCode(err) === Exception.NO_NODE) return []
    throw err
  }
  const values: string[] = []
  for (const child of children) {
    try {
      const data = await call<Buffer | null>('getData', TIMEOUT_MS, (done) =>
        client.getData(`${path}/${child}`, done),
      )
      values.push(data?.toString() ?? '')
    } catch (err) {
      if (zkCode(err) !== Exception.NO_NODE) throw err
    }
  }
  return values
}

/**
 * Wakes whenever `path` appears or its children change, re-arming ZooKeeper's one-shot watches
 * (and waking once more after each re-arm, for what changed in between).
 */
export function childrenWake(client: ZkClient, path: string): Wake {
  return (callback) => {
    let active = true
    const onEvent = (): void => {
      if (!active) return
      callback()
      arm()
    }
    const arm = (): void => {
      client.exists(path, onEvent, (err, stat) => {
        if (err !== null || !stat) return
        // What changed between the event and this watch being set again is seen by this call
        client.getChildren(path, onEvent, () => {
          if (active) callback()
        })
      })
    }
    arm()
    return () => {
      active = false
    }
  }
}
