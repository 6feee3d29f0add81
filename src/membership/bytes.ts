/** Small helpers on byte strings shared by the membership core. */

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0
}

/**
 * The first 48 bits of a byte string as a number: a cheap map key for signatures and keys,
 * which are uniformly random (a caller checks the whole value on a hit).
 */
export function prefixKey(bytes: Uint8Array): number {
  let key = 0
  for (let i = 0; i < 6 && i < bytes.length; i++) key = key * 256 + (bytes[i] as number)
  return key
}
