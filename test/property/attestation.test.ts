/**
 * Attestation (src/membership/attestation.ts) over random meshes:
 * - in a connected honest mesh whose nodes list their connections (listNeighbours, capped), every
 *   root (any node with its neighbours) attests exactly the honest nodes: the same answer
 *   everywhere, full meshes beyond the cap included;
 * - owners that only a relay speaks for (minted, no connection) stay unattested whatever they
 *   list: each other, honest nodes, everything;
 * - two components that are cut apart attest only themselves;
 * - an owner whose heartbeat is not live neither relays nor is reached, unless it is a root;
 * - lists are capped, ascending and pass validation; hostile lists fail by name.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  attestedOwners,
  type ListedHeartbeat,
  listNeighbours,
  MAX_LISTED_NEIGHBOURS,
  NEIGHBOUR_ID_BYTES,
  validateNeighbours,
} from '../../src/membership/attestation.ts'
import { InputTooLargeError, MalformedInputError } from '../../src/membership/errors.ts'

const key = fc.uint8Array({ minLength: 32, maxLength: 32 })

/** A mesh of `keys.length` nodes: `edges` as index pairs, both directions. */
interface Mesh {
  readonly keys: readonly Uint8Array[]
  readonly adjacent: ReadonlyArray<ReadonlySet<number>>
}

function meshOf(
  keys: readonly Uint8Array[],
  edges: ReadonlyArray<readonly [number, number]>,
): Mesh {
  const adjacent = keys.map(() => new Set<number>())
  for (const [a, b] of edges) {
    if (a === b) continue
    adjacent[a]?.add(b)
    adjacent[b]?.add(a)
  }
  return { keys, adjacent }
}

/** Each node's heartbeat as an honest node signs it: its connections, listed. */
function honestHeartbeats(mesh: Mesh, names = (i: number) => `h${i}`): ListedHeartbeat[] {
  return mesh.keys.map((k, i) => ({
    owner: names(i),
    key: k,
    neighbours: listNeighbours(
      k,
      [...(mesh.adjacent[i] as Set<number>)].map((j) => mesh.keys[j] as Uint8Array),
    ),
  }))
}

function rootsOf(mesh: Mesh, i: number, names = (n: number) => `h${n}`): string[] {
  return [names(i), ...[...(mesh.adjacent[i] as Set<number>)].map(names)]
}

/** Distinct keys (a repeated 8-byte prefix would be two owners sharing one identifier). */
function distinctKeys(min: number, max: number): fc.Arbitrary<Uint8Array[]> {
  return fc.uniqueArray(key, {
    minLength: min,
    maxLength: max,
    selector: (k) => Buffer.from(k.subarray(0, NEIGHBOUR_ID_BYTES)).toString('hex'),
  })
}

/** A connected mesh: a random spanning tree plus random extra edges (degree stays small). */
const sparseMesh = distinctKeys(2, 33).chain((keys) =>
  fc
    .tuple(
      fc.array(fc.nat(), { minLength: keys.length - 1, maxLength: keys.length - 1 }),
      fc.array(fc.tuple(fc.nat(keys.length - 1), fc.nat(keys.length - 1)), { maxLength: 40 }),
    )
    .map(([parents, extra]) =>
      meshOf(keys, [...parents.map((p, i) => [i + 1, p % (i + 1)] as [number, number]), ...extra]),
    ),
)

/** Every node connected to every other, beyond the cap. */
const fullMesh = distinctKeys(MAX_LISTED_NEIGHBOURS + 2, 70).map((keys) =>
  meshOf(
    keys,
    keys.flatMap((_, a) => keys.map((__, b) => [a, b] as [number, number])),
  ),
)

describe('attestation', () => {
  it('every node of a connected honest mesh attests exactly the honest nodes', () => {
    fc.assert(
      fc.property(fc.oneof(sparseMesh, fullMesh), (mesh) => {
        const live = honestHeartbeats(mesh)
        const all = live.map((h) => h.owner).sort()
        for (let i = 0; i < mesh.keys.length; i++) {
          // From the node alone too: in a full mesh its neighbours would be everyone already.
          assert.deepEqual([...attestedOwners([`h${i}`], live)].sort(), all)
          assert.deepEqual([...attestedOwners(rootsOf(mesh, i), live)].sort(), all)
        }
      }),
      { numRuns: 60 },
    )
  })

  it('minted owners that list each other and honest nodes stay unattested', () => {
    fc.assert(
      fc.property(
        sparseMesh,
        distinctKeys(1, 6),
        fc.array(fc.boolean(), { maxLength: 40 }),
        (mesh, mintedKeys, picks) => {
          const honest = honestHeartbeats(mesh)
          // Each minted owner lists some of everyone (honest nodes and minted ones), at most the cap.
          const everyone = [...mesh.keys, ...mintedKeys]
          const minted = mintedKeys.map((k, m) => ({
            owner: `m${m}`,
            key: k,
            neighbours: listNeighbours(
              k,
              everyone.filter((_, i) => picks[(i + m) % Math.max(1, picks.length)] !== false),
            ),
          }))
          const live = [...honest, ...minted]
          for (let i = 0; i < mesh.keys.length; i++) {
            const attested = attestedOwners(rootsOf(mesh, i), live)
            for (const m of minted) assert.equal(attested.has(m.owner), false, m.owner)
            assert.equal(attested.size, honest.length)
          }
        },
      ),
      { numRuns: 60 },
    )
  })

  it('two components cut apart each attest only themselves', () => {
    fc.assert(
      fc.property(sparseMesh, sparseMesh, (left, right) => {
        const l = honestHeartbeats(left, (i) => `l${i}`)
        const r = honestHeartbeats(right, (i) => `r${i}`)
        const attested = attestedOwners(
          rootsOf(left, 0, (i) => `l${i}`),
          [...l, ...r],
        )
        assert.deepEqual([...attested].sort(), l.map((h) => h.owner).sort())
      }),
      { numRuns: 30 },
    )
  })

  it('an owner not live neither relays nor is reached, unless it is a root', () => {
    fc.assert(
      fc.property(distinctKeys(3, 3), ([a, b, c]) => {
        // A chain a - b - c, with b's heartbeat no longer live.
        const mesh = meshOf([a, b, c] as Uint8Array[], [
          [0, 1],
          [1, 2],
        ])
        const [ha, , hc] = honestHeartbeats(mesh)
        const live = [ha, hc] as ListedHeartbeat[]
        assert.deepEqual([...attestedOwners(['h0'], live)].sort(), ['h0'])
        assert.deepEqual([...attestedOwners(['h0', 'h1'], live)].sort(), ['h0', 'h1'])
      }),
      { numRuns: 20 },
    )
  })

  it('lists are capped, ascending, distinct, exclude the lister, and pass validation', () => {
    fc.assert(
      fc.property(key, fc.array(key, { maxLength: 80 }), (self, peers) => {
        const list = listNeighbours(self, [...peers, self, ...peers.slice(0, 3)])
        validateNeighbours(list)
        const ids = new Set(peers.map((p) => Buffer.from(p.subarray(0, 8)).toString('hex')))
        ids.delete(Buffer.from(self.subarray(0, 8)).toString('hex'))
        assert.equal(
          list.byteLength / NEIGHBOUR_ID_BYTES,
          Math.min(ids.size, MAX_LISTED_NEIGHBOURS),
        )
      }),
      { numRuns: 100 },
    )
  })

  it('hostile lists fail by name: partial identifiers, too many, unsorted or repeated', () => {
    assert.throws(
      () => validateNeighbours(new Uint8Array(NEIGHBOUR_ID_BYTES + 3)),
      MalformedInputError,
    )
    const tooMany = new Uint8Array((MAX_LISTED_NEIGHBOURS + 1) * NEIGHBOUR_ID_BYTES)
    for (let i = 0; i <= MAX_LISTED_NEIGHBOURS; i++) tooMany[i * NEIGHBOUR_ID_BYTES + 7] = i
    assert.throws(() => validateNeighbours(tooMany), InputTooLargeError)
    const unsorted = new Uint8Array(2 * NEIGHBOUR_ID_BYTES)
    unsorted[0] = 2
    unsorted[NEIGHBOUR_ID_BYTES] = 1
    assert.throws(() => validateNeighbours(unsorted), MalformedInputError)
    const repeated = new Uint8Array(2 * NEIGHBOUR_ID_BYTES).fill(5)
    assert.throws(() => validateNeighbours(repeated), MalformedInputError)
    validateNeighbours(new Uint8Array(0))
  })
})
