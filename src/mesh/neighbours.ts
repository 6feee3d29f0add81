/**
 * The neighbours this node's heartbeats list (src/membership/attestation.ts): the peers it is
 * connected to, and those that disconnected less than `lingerMs` ago (one default TTL, the time
 * a peer's own heartbeat stays live after its last refresh, so a short cut does not withdraw a
 * live owner's attestation sooner than its liveness would). Each peer's raw key is read from its
 * peer ID once, when it connects; a peer ID that embeds no Ed25519 key is not listed.
 */
import { listNeighbours } from '../membership/attestation.ts'
import { publicKeyOf } from '../membership/identity.ts'

export class NeighbourLog {
  readonly #self: Uint8Array
  readonly #lingerMs: number
  /** Connected peers' keys. */
  readonly #connected = new Map<string, Uint8Array>()
  /** Disconnected peers still listed: their keys and when they left. */
  readonly #left = new Map<string, { readonly key: Uint8Array; readonly at: number }>()

  constructor(self: Uint8Array, lingerMs: number) {
    this.#self = self
    this.#lingerMs = lingerMs
  }

  /** A peer connected; false when it was already listed (nothing for heartbeats to announce). */
  connected(peer: string): boolean {
    const left = this.#left.get(peer)
    this.#left.delete(peer)
    const key = left?.key ?? publicKeyOf(peer)
    if (key === undefined || this.#connected.has(peer)) return false
    this.#connected.set(peer, key)
    return left === undefined
  }

  disconnected(peer: string, now: number): void {
    const key = this.#connected.get(peer)
    if (key === undefined) return
    this.#connected.delete(peer)
    this.#left.set(peer, { key, at: now })
  }

  /** The `neighbours` field of a heartbeat signed at `now`. */
  list(now: number): Uint8Array {
    const keys = [...this.#connected.values()]
    for (const [peer, { key, at }] of this.#left) {
      if (now - at < this.#lingerMs) keys.push(key)
      else this.#left.delete(peer)
    }
    return listNeighbours(this.#self, keys)
  }
}
