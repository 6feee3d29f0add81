/**
 * Attestation: which owners run as nodes of this cluster, decided by every node from the same
 * signed data, so that elections can rank them first (src/election/rules.ts).
 *
 * A member holds the cluster key and can mint owner keys with no process behind them, and relay
 * statements they sign: a registration with a tiny creation time, or a high leadership claim.
 * A signature proves who wrote a statement, not that a node stands behind it. A connection does:
 * a libp2p peer ID is its owner ID, authenticated by the Noise handshake. So every node signs
 * into each heartbeat the short identifiers of the peers it is connected to (`listNeighbours`),
 * and an owner is attested when it can be reached from this node along those lists:
 *
 *   roots: this node and its connected neighbours;
 *   edge A → B: A is reached, A's newest heartbeat is live and lists B's identifier, and B's
 *   newest heartbeat is live.
 *
 * Honest nodes list only real connections, and each end of a connection lists the other, so in
 * a connected mesh every honest node reaches the same honest component: once heartbeats have
 * spread, every node computes the same set (roots differ, the component does not). An owner
 * that only a relay speaks for has no connection of its own; nobody honest lists it, so nobody
 * reaches it, whatever its own heartbeat lists. A member that lists a minted owner in its own
 * heartbeat (a lie about its connections) does make it attested: that is the limit of a cluster
 * whose members share one key (SECURITY.md).
 *
 * Identifiers are the first 8 bytes of the raw Ed25519 public key: matching one that a live
 * honest node lists would take about 2^64 key generations. A node lists at most 32; past that it
 * lists the 16 nearest after its own identifier and the 16 nearest before it on the ring of
 * 64-bit identifiers, so in a full mesh every node is still listed by its ring neighbours and the
 * lists still join the whole mesh. (A node connected only to hubs that each list 32 others may
 * be listed by none of them: it is attested at its hubs, as a root, and nowhere else.)
 *
 * A node that has just disconnected keeps listing the peer for one default TTL, the time the
 * peer's own heartbeat stays live after its last refresh, so a short cut or a crash withdraws an
 * owner's attestation no earlier than its liveness, and a leader is not displaced sooner than
 * before.
 */
import { prefixKey } from './bytes.ts'
import { InputTooLargeError, MalformedInputError } from './errors.ts'

/** Bytes of one neighbour identifier: the leading bytes of the raw public key. */
export const NEIGHBOUR_ID_BYTES = 8
/** The most neighbours one heartbeat lists. */
export const MAX_LISTED_NEIGHBOURS = 32

/** What attestation reads of one live owner: its key and the neighbours its newest heartbeat lists. */
export interface ListedHeartbeat {
  readonly owner: string
  /** The owner's raw Ed25519 public key. */
  readonly key: Uint8Array
  /** Its heartbeat's `neighbours`: identifiers, NEIGHBOUR_ID_BYTES each, ascending. */
  readonly neighbours: Uint8Array
}

/**
 * The owners attested from `roots` (this node and its connected neighbours) over the live
 * owners' heartbeats `live` (see the design comment). Roots are attested whether or not a live
 * heartbeat of theirs is held. O(owners + listed identifiers).
 */
export function attestedOwners(
  roots: Iterable<string>,
  live: Iterable<ListedHeartbeat>,
): Set<string> {
  const byOwner = new Map<string, ListedHeartbeat>()
  // By the first 48 bits of the identifier (a number: no string per lookup); a hit is checked whole.
  const byPrefix = new Map<number, ListedHeartbeat[]>()
  for (const heartbeat of live) {
    byOwner.set(heartbeat.owner, heartbeat)
    const prefix = prefixKey(heartbeat.key)
    const same = byPrefix.get(prefix)
    if (same === undefined) byPrefix.set(prefix, [heartbeat])
    else same.push(heartbeat)
  }
  const attested = new Set<string>()
  const queue: string[] = []
  for (const root of roots) {
    if (attested.has(root)) continue
    attested.add(root)
    queue.push(root)
  }
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    const listed = byOwner.get(next)?.neighbours
    if (listed === undefined) continue
    for (let at = 0; at + NEIGHBOUR_ID_BYTES <= listed.byteLength; at += NEIGHBOUR_ID_BYTES) {
      const id = listed.subarray(at, at + NEIGHBOUR_ID_BYTES)
      for (const target of byPrefix.get(prefixKey(id)) ?? []) {
        if (attested.has(target.owner) || !startsWith(target.key, id)) continue
        attested.add(target.owner)
        queue.push(target.owner)
      }
    }
  }
  return attested
}

/**
 * The `neighbours` field a node with raw key `self` signs for the peers `keys`: their
 * identifiers, ascending and distinct, at most MAX_LISTED_NEIGHBOURS (past it, the nearest on
 * the ring on each side of `self`, as the design comment says).
 */
export function listNeighbours(self: Uint8Array, keys: Iterable<Uint8Array>): Uint8Array {
  const own = idValue(self, 0)
  const ids = new Map<bigint, Uint8Array>()
  for (const key of keys) {
    const value = idValue(key, 0)
    if (value !== own) ids.set(value, key.subarray(0, NEIGHBOUR_ID_BYTES))
  }
  let chosen = [...ids.keys()]
  if (chosen.length > MAX_LISTED_NEIGHBOURS) {
    const after = (v: bigint): bigint => (v - own) & RING_MASK
    const byDistance = chosen.sort((a, b) => (after(a) < after(b) ? -1 : 1))
    const half = MAX_LISTED_NEIGHBOURS / 2
    chosen = [...byDistance.slice(0, half), ...byDistance.slice(byDistance.length - half)]
  }
  chosen.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const out = new Uint8Array(chosen.length * NEIGHBOUR_ID_BYTES)
  chosen.forEach((value, i) => {
    out.set(ids.get(value) as Uint8Array, i * NEIGHBOUR_ID_BYTES)
  })
  return out
}

/**
 * Checks a received `neighbours` field: whole identifiers, at most MAX_LISTED_NEIGHBOURS,
 * strictly ascending (the one encoding of a set, as listNeighbours writes it). Throws
 * MalformedInputError or InputTooLargeError.
 */
export function validateNeighbours(neighbours: Uint8Array): void {
  if (neighbours.byteLength % NEIGHBOUR_ID_BYTES !== 0)
    throw new MalformedInputError(
      `neighbours is ${neighbours.byteLength} bytes, not a multiple of ${NEIGHBOUR_ID_BYTES}`,
    )
  const count = neighbours.byteLength / NEIGHBOUR_ID_BYTES
  if (count > MAX_LISTED_NEIGHBOURS)
    throw new InputTooLargeError(
      `a heartbeat lists ${count} neighbours, the limit is ${MAX_LISTED_NEIGHBOURS}`,
    )
  for (let i = 1; i < count; i++) {
    if (idValue(neighbours, i - 1) >= idValue(neighbours, i))
      throw new MalformedInputError('neighbours are not in strictly ascending order')
  }
}

const RING_MASK = (1n << 64n) - 1n

function startsWith(key: Uint8Array, id: Uint8Array): boolean {
  for (let i = 0; i < id.byteLength; i++) if (key[i] !== id[i]) return false
  return true
}

/** The `index`th identifier of `bytes` as an unsigned 64-bit number. */
function idValue(bytes: Uint8Array, index: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(index * NEIGHBOUR_ID_BYTES)
}
