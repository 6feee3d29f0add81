/**
 * A node's persistent identity: its libp2p Ed25519 private key in a file (created 0600 when
 * missing) and, next to it, the incarnation of its last run and a lock naming the process that
 * uses them (two processes signing as one owner would each outrank the other's statements).
 * Both files are private files (private-file.ts): never read through a link, refused when open
 * to others, written whole or not at all.
 *
 * Why persist the incarnation: statements are ordered by (incarnation, counter), and a restarted
 * owner must outrank everything its previous run signed, or peers would keep the stale records.
 * The clock alone nearly works (the incarnation is the start time in ms), but a clock that steps
 * back would break it; max(now, previous + 1) cannot.
 */
import { randomBytes } from 'node:crypto'
import {
  generateKeyPairFromSeed,
  privateKeyFromProtobuf,
  privateKeyToProtobuf,
} from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { nextIncarnation } from '../membership/owner.ts'
import { InvalidNodeOptionError } from './options.ts'
import { lockFile, readPrivateFile, writePrivateFile } from './private-file.ts'

export interface NodeIdentity {
  readonly privateKey: Ed25519PrivateKey
  /** The 32-byte seed the membership signer is built from. */
  readonly seed: Uint8Array
  /** This run's incarnation: above every earlier run's. */
  readonly incarnation: bigint
  /** Gives the key file up for other processes (a no-op for an ephemeral identity). */
  release(): Promise<void>
}

/** A fresh identity that lives for one run. */
export async function ephemeralIdentity(now: number): Promise<NodeIdentity> {
  return identityOf(await generateKeyPairFromSeed('Ed25519', randomBytes(32)), nextIncarnation(now))
}

/**
 * Locks the key at `keyFile`, loads (or creates) it, then records and returns this run's
 * incarnation. Throws InsecureFileError, FileLockedError or InvalidNodeOptionError for a file
 * that cannot be used, FileWriteError when saving fails; the lock is released on failure.
 */
export async function persistentIdentity(keyFile: string, now: number): Promise<NodeIdentity> {
  const release = await lockFile(lockPath(keyFile), 'keyFile')
  try {
    const privateKey = await loadOrCreateKey(keyFile)
    const incarnation = nextIncarnation(now, await readIncarnation(keyFile))
    await writePrivateFile(incarnationPath(keyFile), `${incarnation}\n`)
    return identityOf(privateKey, incarnation, release)
  } catch (err) {
    await release()
    throw err
  }
}

export function incarnationPath(keyFile: string): string {
  return `${keyFile}.incarnation`
}

export function lockPath(keyFile: string): string {
  return `${keyFile}.lock`
}

function identityOf(
  privateKey: Ed25519PrivateKey,
  incarnation: bigint,
  release: () => Promise<void> = async () => undefined,
): NodeIdentity {
  return { privateKey, seed: privateKey.raw.subarray(0, 32), incarnation, release }
}

async function loadOrCreateKey(keyFile: string): Promise<Ed25519PrivateKey> {
  const bytes = await readPrivateFile(keyFile, 'keyFile')
  if (bytes === undefined) {
    const created = await generateKeyPairFromSeed('Ed25519', randomBytes(32))
    // Exclusive: we hold the lock, so the file appearing now means someone bypassed it.
    await writePrivateFile(keyFile, privateKeyToProtobuf(created), { exclusive: true }).catch(
      (err: unknown) => {
        throw (err as NodeJS.ErrnoException).code === 'EEXIST'
          ? keyFileError(keyFile, 'appeared while this process held its lock')
          : err
      },
    )
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

/** The last run's incarnation; undefined when the file is missing or does not hold one. */
async function readIncarnation(keyFile: string): Promise<bigint | undefined> {
  const bytes = await readPrivateFile(incarnationPath(keyFile), 'keyFile')
  if (bytes === undefined) return undefined
  const trimmed = bytes.toString('utf8').trim()
  return /^[0-9]{1,20}$/.test(trimmed) ? BigInt(trimmed) : undefined
}

function keyFileError(keyFile: string, cause: unknown): InvalidNodeOptionError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new InvalidNodeOptionError('keyFile', `${keyFile}: ${reason}`)
}
