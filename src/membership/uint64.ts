/**
 * A uint64 field writer for the generated wire codec (wire.ts). protons-runtime (5.6.0, and the
 * same code through 8.0.1) writes a uint64 in [2^31, 2^32) wrong: its LongBits keeps the low
 * word as a signed 32-bit number, so the varint comes out one byte long and the message no longer
 * decodes. A value below 2^32 has the same varint as a uint32, which the runtime writes right,
 * so those go through `uint32`; `npm run proto` (scripts/proto.mjs) points every generated
 * uint64 encoder here.
 */
import type { Writer } from 'protons-runtime'

const TWO_32 = 2n ** 32n

export function writeUint64(w: Writer, value: bigint): void {
  if (value >= 0n && value < TWO_32) w.uint32(Number(value))
  else w.uint64(value)
}
