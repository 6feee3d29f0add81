/**
 * Node identity: an Ed25519 key pair whose public half is the owner of every statement the node
 * signs. The owner's peer ID is derived from the public key, so any peer verifies any statement
 * with no key distribution. Signing and verification use libsodium (sodium-native): on the
 * reference machine it verifies about 2x faster than Node's OpenSSL binding, and it works on
 * raw 32-byte keys, so no per-owner key objects need caching.
 */
import { createHash, randomBytes } from 'node:crypto'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import sodium from 'sodium-native'
import { bytesEqual, prefixKey } from './bytes.ts'
import { InvalidArgumentError } from './errors.ts'

export const ED25519_PUBLIC_KEY_BYTES = 32
export const ED25519_SIGNATURE_BYTES = 64

/**
 * Separates gossip-sd signatures from anything else the same key signs (libp2p records, noise).
 * v2: the cluster's hash follows (see `SigningDomain`).
 */
const SIGNING_CONTEXT = Buffer.from('gossip-sd/statement/v2\0')

/**
 * What a statement's signature covers besides its body: the protocol's context and the SHA-256
 * of the cluster name. A statement signed for one cluster therefore does not verify in another
 * (it cannot be replayed across clusters), and the cluster is not on the wire: a receiver checks
 * it by verifying with its own domain. Build one per cluster with `signingDomain`.
 */
export interface SigningDomain {
  readonly cluster: string
  /** The bytes signed before every body. */
  readonly prefix: Buffer
}

/** The signing domain of a cluster. */
export function signingDomain(cluster: string): SigningDomain {
  if (typeof cluster !== 'string') throw new InvalidArgumentError('a cluster name is a string')
  const clusterHash = createHash('sha256').update(cluster, 'utf8').digest()
  return Object.freeze({ cluster, prefix: Buffer.concat([SIGNING_CONTEXT, clusterHash]) })
}

/** Signs statement bodies on behalf of one owner. */
export interface Signer {
  /** Raw 32-byte Ed25519 public key: the owner of everything this signer signs. */
  readonly publicKey: Uint8Array
  /** The owner's libp2p peer ID string. */
  readonly ownerId: string
  /** Signs `body` for the cluster of `domain`. */
  sign(body: Uint8Array, domain: SigningDomain): Uint8Array
}

/** Builds a signer from a 32-byte Ed25519 seed (the first half of a libp2p raw private key). */
export function signerFromSeed(seed: Uint8Array): Signer {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new InvalidArgumentError('an Ed25519 seed is 32 bytes')
  }
  const publicKey = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES)
  const secretKey = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES)
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, asBuffer(seed))
  return {
    publicKey: new Uint8Array(publicKey),
    ownerId: ownerIdOf(publicKey),
    sign: (body, domain) => {
      const signature = Buffer.alloc(ED25519_SIGNATURE_BYTES)
      sodium.crypto_sign_detached(signature, Buffer.concat([domain.prefix, body]), secretKey)
      return new Uint8Array(signature)
    },
  }
}

/** A signer with a fresh random identity. */
export function generateSigner(): Signer {
  return signerFromSeed(randomBytes(32))
}

const OWNER_CACHE_LIMIT = 65536
/** Peer IDs by the first 48 bits of the key (checked whole on a hit): no string to build per lookup. */
const ownerIds = new Map<number, { readonly key: Uint8Array; readonly ownerId: string }>()

/** The libp2p peer ID string of a raw Ed25519 public key (cached). */
export function ownerIdOf(publicKey: Uint8Array): string {
  const known = knownOwnerIdOf(publicKey)
  if (known !== undefined) return known
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new InvalidArgumentError('an Ed25519 public key is 32 bytes')
  }
  const ownerId = peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString()
  if (ownerIds.size >= OWNER_CACHE_LIMIT) {
    const oldest = ownerIds.keys().next().value
    if (oldest !== undefined) ownerIds.delete(oldest)
  }
  ownerIds.set(prefixKey(publicKey), { key: publicKey.slice(), ownerId })
  return ownerId
}

/**
 * The peer ID of a key this process has converted recently, without computing one: a lookup,
 * so a peer that names arbitrary keys (in a digest) costs no more than a map probe per key.
 * Every owner a replica holds was converted when its first statement was opened.
 */
export function knownOwnerIdOf(publicKey: Uint8Array): string | undefined {
  const cached = ownerIds.get(prefixKey(publicKey))
  return cached !== undefined && bytesEqual(cached.key, publicKey) ? cached.ownerId : undefined
}

/**
 * The raw Ed25519 public key an owner ID (a libp2p peer ID) embeds, or undefined when it embeds
 * none (not an Ed25519 peer ID, or not a peer ID at all).
 */
export function publicKeyOf(ownerId: string): Uint8Array | undefined {
  try {
    const key = peerIdFromString(ownerId).publicKey
    return key?.type === 'Ed25519' ? key.raw : undefined
  } catch {
    return undefined
  }
}

/** True when `signature` is the owner's signature over `body` in `domain`'s cluster. Never throws on bad input. */
export function verifyStatementSignature(
  publicKey: Uint8Array,
  body: Uint8Array,
  signature: Uint8Array,
  domain: SigningDomain,
): boolean {
  if (
    publicKey.length !== ED25519_PUBLIC_KEY_BYTES ||
    signature.length !== ED25519_SIGNATURE_BYTES
  ) {
    return false
  }
  return sodium.crypto_sign_verify_detached(
    asBuffer(signature),
    Buffer.concat([domain.prefix, body]),
    asBuffer(publicKey),
  )
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
