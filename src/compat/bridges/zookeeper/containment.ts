/**
 * Containment around node-zookeeper-client's connection manager (its lib/ConnectionManager.js;
 * the package is pinned, since this reaches into it). Three faults of that code, each seen in
 * the bridge's outage test under load, are patched on each client the bridge creates:
 *
 * - A reply it cannot decode (an error code it does not know, a torn frame) throws from its
 *   socket 'data' handler: an uncaught exception that ends the process. The handler is wrapped:
 *   the throw becomes a ZooKeeperProtocolError told to the client's owner, and the socket is
 *   destroyed so that nothing more is read from it.
 * - close() while the handshake is in flight sends closeSession as request 0 of a client that
 *   never made one, and then reads the server's handshake answer as that request's reply: its
 *   xid (the protocol version, 0) matches, and the low word of the new session ID is taken as an
 *   error code ("Unknown code: 439484416" = 0x1A320000, a first session of a restarted server).
 *   `closeClient` destroys the socket of a client that is not connected instead of waiting on it,
 *   and no new socket is opened for a client that is closing.
 * - Bytes left from a connection that died in the middle of a reply are kept and read as the
 *   start of the next connection's first answer. They are dropped when a socket closes.
 */
import type { Socket } from 'node:net'
import type zookeeper from 'node-zookeeper-client'
import { GossipSdError } from '../../../contract.ts'

/** The server sent something the client library could not read; the client is replaced. */
export class ZooKeeperProtocolError extends GossipSdError<'ERR_ZOOKEEPER_PROTOCOL'> {
  constructor(detail: string) {
    super('ERR_ZOOKEEPER_PROTOCOL', `ZooKeeper sent a reply the client could not read: ${detail}`)
  }
}

/** The library's connection states (ConnectionManager.STATES). */
const CONNECTED = 2
const CLOSING = -1
const CLOSED = -2

/** What this module touches inside the library's connection manager. */
interface ConnectionManager {
  state: number
  socket?: Socket
  pendingBuffer: Buffer | null
  onSocketData(buffer: Buffer): void
  onSocketClosed(hadError: boolean): void
  findNextServer(callback: (server: unknown) => void): void
}

function managerOf(client: zookeeper.Client): ConnectionManager {
  const manager = (client as unknown as { connectionManager?: Partial<ConnectionManager> })
    .connectionManager
  if (
    typeof manager?.onSocketData !== 'function' ||
    typeof manager.onSocketClosed !== 'function' ||
    typeof manager.findNextServer !== 'function' ||
    typeof manager.state !== 'number'
  ) {
    throw new Error('node-zookeeper-client is not the version the ZooKeeper bridge was built on')
  }
  return manager as ConnectionManager
}

/** Bytes each contained client has received, over all its connections. */
const received = new WeakMap<zookeeper.Client, { bytes: number }>()

/** What `client` has received so far: a call that times out with this unchanged met silence. */
export function bytesReceived(client: zookeeper.Client): number {
  return received.get(client)?.bytes ?? 0
}

/** Installs the three patches on a new client (before connect()). */
export function contain(
  client: zookeeper.Client,
  onProtocolError: (err: ZooKeeperProtocolError) => void,
): void {
  const manager = managerOf(client)
  const { onSocketData, onSocketClosed, findNextServer } = manager
  const count = { bytes: 0 }
  received.set(client, count)
  manager.onSocketData = function (this: ConnectionManager, buffer: Buffer): void {
    count.bytes += buffer.length
    try {
      onSocketData.call(this, buffer)
    } catch (err) {
      this.pendingBuffer = null
      this.socket?.destroy()
      onProtocolError(new ZooKeeperProtocolError(err instanceof Error ? err.message : String(err)))
    }
  }
  manager.onSocketClosed = function (this: ConnectionManager, hadError: boolean): void {
    this.pendingBuffer = null
    onSocketClosed.call(this, hadError)
  }
  manager.findNextServer = function (this: ConnectionManager, callback): void {
    findNextServer.call(this, (server) => {
      if (this.state !== CLOSING && this.state !== CLOSED) callback(server)
    })
  }
}

/**
 * Ends a client within `ms`: a connected one sends closeSession (its ephemerals go at once) and
 * its socket is destroyed when the server closes it or after `ms`; one that is not connected has
 * its socket destroyed now (its session ends on the server's timeout).
 */
export function closeClient(client: zookeeper.Client, ms: number): Promise<void> {
  const manager = managerOf(client)
  const socket = manager.socket
  const connected = manager.state === CONNECTED
  client.close()
  if (socket === undefined || socket.destroyed) return Promise.resolve()
  if (!connected) {
    socket.destroy()
    return Promise.resolve()
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.destroy(), ms)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}
