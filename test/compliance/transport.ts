/**
 * The Transport compliance suite: what the protocol driver relies on, checked the same way for
 * every implementation (the in-memory transport, libp2p, the simulator's network). A harness
 * gives N started transports and a way to let time pass until a promise settles: virtual
 * transports advance their scheduler, real ones await with a deadline.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { PeerEvent, Transport } from '../../src/membership/transport.ts'

export interface InboxEntry {
  from: string
  frame: Uint8Array
}

/** What a started transport has received. */
export class Inbox {
  readonly frames: InboxEntry[] = []
  readonly peerEvents: PeerEvent[] = []
  #waiters: Array<() => void> = []

  record(entry: InboxEntry): void {
    this.frames.push(entry)
    this.#wake()
  }

  recordPeer(event: PeerEvent): void {
    this.peerEvents.push(event)
    this.#wake()
  }

  /** Resolves once `predicate` holds. */
  until(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve()
    return new Promise((resolve) => {
      const check = () => {
        if (predicate()) resolve()
        else this.#waiters.push(check)
      }
      this.#waiters.push(check)
    })
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter()
  }
}

export interface TransportHarness {
  transports: Transport[]
  inboxes: Inbox[]
  /** Lets time pass until `promise` settles (or fails the test after the harness's deadline). */
  drive<T>(promise: Promise<T>): Promise<T>
  close(): Promise<void>
}

export type TransportFactory = (size: number) => Promise<TransportHarness>

const frameOf = (text: string) => new TextEncoder().encode(text)
const textOf = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

export function transportCompliance(name: string, create: TransportFactory): void {
  describe(`Transport compliance: ${name}`, () => {
    test('every transport sees the others as peers, and got a connected event for each', async () => {
      const h = await create(3)
      try {
        for (const [i, inbox] of h.inboxes.entries()) {
          const others = h.transports.filter((_, j) => j !== i).map((t) => t.localPeer)
          await h.drive(
            inbox.until(() => others.every((p) => h.transports[i]?.peers().includes(p))),
          )
          await h.drive(
            inbox.until(() =>
              others.every((p) =>
                inbox.peerEvents.some((e) => e.type === 'connected' && e.peer === p),
              ),
            ),
          )
        }
      } finally {
        await h.close()
      }
    })

    test('broadcast reaches every other member once, not the sender', async () => {
      const h = await create(3)
      try {
        await settleMesh(h)
        const [a] = h.transports as [Transport]
        await a.broadcast(frameOf('hello all'))
        for (const inbox of h.inboxes.slice(1)) {
          await h.drive(
            inbox.until(() => inbox.frames.some((f) => textOf(f.frame) === 'hello all')),
          )
        }
        await a.broadcast(frameOf('marker'))
        for (const inbox of h.inboxes.slice(1))
          await h.drive(inbox.until(() => inbox.frames.some((f) => textOf(f.frame) === 'marker')))
        for (const inbox of h.inboxes.slice(1)) {
          assert.equal(inbox.frames.filter((f) => textOf(f.frame) === 'hello all').length, 1)
        }
        assert.equal(
          h.inboxes[0]?.frames.some((f) => textOf(f.frame) === 'hello all'),
          false,
        )
      } finally {
        await h.close()
      }
    })

    test('send reaches exactly the addressed peer, naming the sender', async () => {
      const h = await create(3)
      try {
        await settleMesh(h)
        const [a, b] = h.transports as [Transport, Transport]
        await h.drive(a.send(b.localPeer, frameOf('just you')))
        const inbox = h.inboxes[1] as Inbox
        await h.drive(inbox.until(() => inbox.frames.length > 0))
        assert.deepEqual(
          inbox.frames.map((f) => [f.from, textOf(f.frame)]),
          [[a.localPeer, 'just you']],
        )
        assert.equal(h.inboxes[2]?.frames.length, 0)
      } finally {
        await h.close()
      }
    })

    test('frames of 1 MiB arrive intact', async () => {
      const h = await create(2)
      try {
        await settleMesh(h)
        const big = new Uint8Array(1 << 20).map((_, i) => i % 251)
        const [a, b] = h.transports as [Transport, Transport]
        await h.drive(a.send(b.localPeer, big))
        const inbox = h.inboxes[1] as Inbox
        await h.drive(inbox.until(() => inbox.frames.length > 0))
        assert.deepEqual(inbox.frames[0]?.frame, big)
      } finally {
        await h.close()
      }
    })

    test('a stopped transport leaves its peers’ view with a disconnected event', async () => {
      const h = await create(2)
      try {
        await settleMesh(h)
        const [a, b] = h.transports as [Transport, Transport]
        await a.stop()
        const inbox = h.inboxes[1] as Inbox
        await h.drive(
          inbox.until(() =>
            inbox.peerEvents.some((e) => e.type === 'disconnected' && e.peer === a.localPeer),
          ),
        )
        await h.drive(inbox.until(() => !b.peers().includes(a.localPeer)))
      } finally {
        await h.close()
      }
    })
  })
}

async function settleMesh(h: TransportHarness): Promise<void> {
  for (const [i, inbox] of h.inboxes.entries()) {
    const others = h.transports.filter((_, j) => j !== i).map((t) => t.localPeer)
    await h.drive(inbox.until(() => others.every((p) => h.transports[i]?.peers().includes(p))))
  }
}
