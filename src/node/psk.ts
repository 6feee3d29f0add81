/**
 * Pre-shared keys (libp2p pnet): every connection is encrypted with the cluster's key before
 * anything else is exchanged, so a node without the key cannot even complete a handshake.
 * The file format is the one IPFS and libp2p use (swarm.key, version 1, base16).
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { InvalidNodeOptionError } from './options.ts'

const SWARM_KEY = /^\/key\/swarm\/psk\/1\.0\.0\/\r?\n\/base16\/\r?\n[0-9a-fA-F]{64}\s*$/

/** A new swarm key in file format. */
export function generateSwarmKey(): Uint8Array {
  return new TextEncoder().encode(
    `/key/swarm/psk/1.0.0/\n/base16/\n${randomBytes(32).toString('hex')}`,
  )
}

/** Checks the bytes of a swarm key; returns them unchanged. */
export function checkSwarmKey(bytes: Uint8Array, option: string): Uint8Array {
  if (!SWARM_KEY.test(new TextDecoder().decode(bytes)))
    throw new InvalidNodeOptionError(
      option,
      'not a swarm key (expected "/key/swarm/psk/1.0.0/", "/base16/" and 64 hex digits)',
    )
  return bytes
}

/** Reads and checks a swarm key file. */
export async function readSwarmKey(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    throw new InvalidNodeOptionError(
      'pskFile',
      `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`,
    )
  }
  return checkSwarmKey(bytes, 'pskFile')
}
