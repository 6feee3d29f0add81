/**
 * Node identity: an Ed25519 key pair whose public half is the owner of every statement the node
 * signs. The owner's peer ID is derived from the public key, so any peer verifies any statement
 * with no key distribution. Signing and verification use Node's native Ed25519 (OpenSSL), which
 * is several times faster than a JavaScript implementation; KeyObjects are cached per owner.
 */
import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { InvalidArgumentError } from './errors.ts'

export const ED25519_PUBLIC_KEY_BYTES = 32
export const ED25519_SIGNATURE_BYTES = 64

/** Separates gossip-sd signatures from anything else the same key signs (libp2p records, noise). */
const SIGNING_DOMAIN = Buffer.from('gossip-sd/statement/v1\0')

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** Signs statement bodies on behalf of one owner. */
export interface Signer {
  /** Raw 32-byte Ed25519 public key: the owner of everything this signer signs. */
  readonly publicKey: Uint8Array
  /** The owner's libp2p peer ID string. */
  readonly ownerId: string
  sign(body: Uint8Array): Uint8Array
}

/** Builds a signer from a 32-byte Ed25519 seed (the first half of a libp2p raw private key). */
export function signerFromSeed(seed: Uint8Array): Signer {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new InvalidArgumentError('an Ed25519 seed is 32 bytes')
  }
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  })
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  const publicKey = new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length))
  return {
    publicKey,
    ownerId: ownerIdOf(publicKey),
    sign: (body) => new Uint8Array(sign(null, Buffer.concat([SIGNING_DOMAIN, body]), privateKey)),
  }
}

/** A signer with a fresh random identity. */
export function generateSigner(): Signer {
  return signerFromSeed(randomBytes(32))
}

interface OwnerKeyInfo {
  readonly ownerId: string
  readonly keyObject: KeyObject
}

const OWNER_CACHE_LIMIT = 65536
const ownerCache = new Map<string, OwnerKeyInfo>()

function ownerInfo(publicKey: Uint8Array): OwnerKeyInfo {
  const hex = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString(
    'hex',
  )
  let info = ownerCache.get(hex)
  if (info === undefined) {
    if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
      throw new InvalidArgumentError('an Ed25519 public key is 32 bytes')
    }
    info = {
      ownerId: peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString(),
      keyObject: createPublicKey({
        key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
        format: 'der',
        type: 'spki',
      }),
    }
    if (ownerCache.size >= OWNER_CACHE_LIMIT) {
      const oldest = ownerCache.keys().next().value
      if (oldest !== undefined) ownerCache.delete(oldest)
    }
    ownerCache.set(hex, info)
  }
  return info
}

/** The libp2p peer ID string of a raw Ed25519 public key. */
export function ownerIdOf(publicKey: Uint8Array): string {
  return ownerInfo(publicKey).ownerId
}

/** True when `signature` is the owner's signature over `body`. Never throws on bad input. */
export function verifyStatementSignature(
  publicKey: Uint8Array,
  body: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (
    publicKey.length !== ED25519_PUBLIC_KEY_BYTES ||
    signature.length !== ED25519_SIGNATURE_BYTES
  ) {
    return false
  }
  try {
    return verify(
      null,
      Buffer.concat([SIGNING_DOMAIN, body]),
      ownerInfo(publicKey).keyObject,
      signature,
    )
  } catch {
    return false
  }
}
