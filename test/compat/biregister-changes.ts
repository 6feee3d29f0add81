/** Reads biregister changes as "OP name" strings, each within a deadline. */
import assert from 'node:assert/strict'
import type { Change } from '../../src/compat/biregister/index.ts'
import { deadline } from './helpers.ts'

export async function take(
  stream: AsyncIterableIterator<Change>,
  count: number,
): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    const { value, done } = await deadline(stream.next())
    assert.equal(done, false, `stream ended after ${i} changes`)
    out.push(`${(value as Change).op} ${(value as Change).name}`)
  }
  return out
}
