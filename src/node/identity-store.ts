/**
 * A node's persistent identity: its libp2p Ed25519 private key in a file (created 0600 when
 * missing) and, next to it, the incarnation of its last run.
 *
 * Why persist the incarnation: statements are ordered by (incarnation, counter), and a restarted
 * owner must outrank everything its previous run signed, or peers would keep the stale records.
 * The clock alone nearly works (the incarnation is the start time in ms), but a clock that steps
 * back would break it; max(now, previous + 1) cannot.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import {
  generateKeyPairFromSeed,
  privateKeyFromProtobuf,
  privateKeyToProtobuf,
} from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { nextIncarnation } from '../membership/owner.ts'
import { InvalidNodeOptionError } from './options.ts'

export interface NodeIdentity {
  readonly privateKey: Ed25519PrivateKey
  /** The 32-byte seed the membership signer is built from. */
  readonly seed: Uint8Array
  /** This run's incarnation: above every earlier run's. */
  readonly incarnation: bigint
}

/** A fresh identity that lives for one run. */
export async function ephemeralIdentity(now: number): Promise<NodeIdentity> {
  return identityOf(await generateKeyPairFromSeed('Ed25519', randomBytes(32)), nextIncarnation(now))
}

/** Loads (or creates) the key at `keyFile`, then records and returns this run's incarnation. */
export async function persistentIdentity(keyFile: string, now: number): Promise<NodeIdentity> {
  const privateKey = await loadOrCreateKey(keyFile)
  const incarnation = nextIncarnation(now, await readIncarnation(keyFile))
  const path = incarnationPath(keyFile)
  await writeFile(`${path}.tmp`, `${incarnation}\n`, { mode: 0o600 })
  await rename(`${path}.tmp`, path)
  return identityOf(privateKey, incarnation)
}

export function incarnationPath(keyFile: string): string {
  return `${keyFile}.incarnation`
}

function identityOf(privateKey: Ed25519PrivateKey, incarnation: bigint): NodeIdentity {
  return { privateKey, seed: privateKey.raw.subarray(0, 32), incarnation }
}

async function loadOrCreateKey(keyFile: string): Promise<Ed25519PrivateKey> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(keyFile)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw keyFileError(keyFile, err)
    const created = await generateKeyPairFromSeed('Ed25519', randomBytes(32))
    try {
      await writeFile(keyFile, privateKeyToProtobuf(created), { mode: 0o600, flag: 'wx' })
    } catch (writeErr) {
      throw keyFileError(keyFile, writeErr)
    }
    return created
  }
  let key: ReturnType<typeof privateKeyFromProtobuf>
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw keyFileError(keyFile, err)
  }
  if (key.type !== 'Ed25519') throw keyFileError(keyFile, `holds a ${key.type} key, not Ed25519`)
  return key
}

async function readIncarnation(keyFile: string): Promise<bigint | undefined> {
  let text: string
  try {
    text = await readFile(incarnationPath(keyFile), 'utf8')
  } catch {
    return undefined
  }
  const trimmed = text.trim()
  return /^[0-9]{1,20}$/.test(trimmed) ? BigInt(trimmed) : undefined
}

function keyFileError(keyFile: string, cause: unknown): InvalidNodeOptionError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new InvalidNodeOptionError('keyFile', `${keyFile}: ${reason}`)
}
