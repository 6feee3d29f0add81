/**
 * A loopback TCP proxy in front of a real ZooKeeper that misbehaves on demand, for the bridge's
 * fault tests: the server's replies are read as ZooKeeper frames (4-byte length, then for every
 * frame after a connection's handshake answer a reply header: xid, zxid, error code) and can be
 * held back with the requests (a connection frozen both ways: a stalled server), torn (part of a reply, then both sides cut, as when a server is
 * killed mid-write), or given an error code no client knows (hostile bytes).
 */
import { once } from 'node:events'
import { createConnection, createServer, type Server, type Socket } from 'node:net'

export interface ZkProxy {
  /** "127.0.0.1:PORT", to give clients instead of the server's endpoint. */
  readonly endpoint: string
  /** Connections opened through the proxy so far. */
  readonly opened: number
  /** Freezes the connections open now, both ways (new connections are served). */
  stallOpen(): void
  /** Freezes the next connection opened, both ways, from its handshake on. */
  stallNext(): void
  /** Sends what was held both ways; resolves once it was written, or its client was gone. */
  release(): Promise<void>
  /** Resolves once every connection open now has closed. */
  drained(): Promise<void>
  /** The next reply (not a handshake, ping or watch event) carries error code `code`. */
  corruptNextReply(code: number): void
  /** Forwards `bytes` more bytes of replies, then cuts both sides of that connection. */
  tearAfter(bytes: number): void
  close(): Promise<void>
}

const XID_OFFSET = 4
const ERR_OFFSET = 16

interface Link {
  readonly client: Socket
  readonly server: Socket
  readonly held: Buffer[]
  readonly heldRequests: Buffer[]
  stalled: boolean
  unread: Buffer
  handshakeSeen: boolean
  readonly closed: Promise<unknown>
}

/** Starts a proxy on a free loopback port forwarding to ZooKeeper at `target` ("host:port"). */
export async function startZkProxy(target: string): Promise<ZkProxy> {
  const [host = '127.0.0.1', port = '0'] = target.split(':')
  const links = new Set<Link>()
  let stallNext = false
  let corruptCode: number | undefined
  let tearBudget: number | undefined
  let opened = 0

  const forward = (link: Link, out: Buffer): void => {
    if (tearBudget === undefined) {
      link.client.write(out)
      return
    }
    const part = out.subarray(0, tearBudget)
    tearBudget -= part.length
    if (tearBudget > 0) {
      link.client.write(part)
      return
    }
    tearBudget = undefined
    link.client.end(part, () => link.client.destroy())
    link.server.destroy()
  }

  /** Splits what the server sent into frames, corrupting one if asked, and forwards them. */
  const fromServer = (link: Link, chunk: Buffer): void => {
    link.unread = Buffer.concat([link.unread, chunk])
    const frames: Buffer[] = []
    while (link.unread.length >= 4) {
      const size = link.unread.readInt32BE(0) + 4
      if (link.unread.length < size) break
      const frame = Buffer.from(link.unread.subarray(0, size))
      link.unread = link.unread.subarray(size)
      if (!link.handshakeSeen) link.handshakeSeen = true
      else if (corruptCode !== undefined && frame.readInt32BE(XID_OFFSET) >= 0) {
        frame.writeInt32BE(corruptCode, ERR_OFFSET)
        corruptCode = undefined
      }
      frames.push(frame)
    }
    if (frames.length > 0) forward(link, Buffer.concat(frames))
  }

  const server: Server = createServer((client) => {
    opened++
    const upstream = createConnection({ host, port: Number(port) })
    const link: Link = {
      client,
      server: upstream,
      held: [],
      heldRequests: [],
      stalled: stallNext,
      unread: Buffer.alloc(0),
      handshakeSeen: false,
      // Not events.once: it rejects on an 'error' before 'close' (a write after the client's FIN
      // is EPIPE), and a link nobody waits on would then fail the test as an unhandled rejection.
      closed: new Promise((resolve) => client.once('close', resolve)),
    }
    stallNext = false
    links.add(link)
    client.on('data', (chunk: Buffer) => {
      if (link.stalled) link.heldRequests.push(chunk)
      else upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (link.stalled) link.held.push(chunk)
      else fromServer(link, chunk)
    })
    const end = (): void => {
      links.delete(link)
      client.destroy()
      upstream.destroy()
    }
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined) // 'close' follows
      socket.on('close', end)
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const proxyPort = typeof address === 'object' && address !== null ? address.port : 0

  return {
    endpoint: `127.0.0.1:${proxyPort}`,
    get opened() {
      return opened
    },
    stallOpen: () => {
      for (const link of links) link.stalled = true
    },
    stallNext: () => {
      stallNext = true
    },
    release: async () => {
      const writes: Promise<void>[] = []
      for (const link of links) {
        if (!link.stalled) continue
        link.stalled = false
        for (const chunk of link.heldRequests.splice(0)) link.server.write(chunk)
        for (const chunk of link.held.splice(0)) fromServer(link, chunk)
        writes.push(
          link.client.destroyed
            ? Promise.resolve()
            : new Promise((resolve) => link.client.write(Buffer.alloc(0), () => resolve())),
        )
      }
      await Promise.all(writes)
    },
    drained: async () => {
      await Promise.all([...links].map((link) => link.closed))
    },
    corruptNextReply: (code) => {
      corruptCode = code
    },
    tearAfter: (bytes) => {
      tearBudget = bytes
    },
    close: async () => {
      for (const link of links) {
        link.client.destroy()
        link.server.destroy()
      }
      server.close()
      await once(server, 'close')
    },
  }
}
