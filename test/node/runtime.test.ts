/**
 * The Node.js version check: which versions pass, what the refusal says, and that it agrees with
 * package.json's `engines`. The installed bin and `createNode` on an older Node are exercised
 * from the packed package (test/package/consumer.test.ts).
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import {
  assertSupportedRuntime,
  MINIMUM_NODE_VERSION,
  UnsupportedRuntimeError,
  unsupportedRuntime,
} from '../../src/node/runtime.ts'

describe('the Node.js version check', () => {
  it('accepts 22.3 and anything newer', () => {
    for (const version of ['22.3.0', '22.3.1', '22.23.3', '23.0.0', '24.11.1', '100.0.0']) {
      assert.equal(unsupportedRuntime(version), undefined, version)
    }
  })

  it('refuses anything older, naming the version needed and the one found', () => {
    for (const version of ['22.2.9', '22.0.0', '20.20.2', '18.19.0', '4.9.1']) {
      assert.equal(
        unsupportedRuntime(version),
        `gossip-sd needs Node.js 22.3 or newer; this is ${version}`,
      )
    }
  })

  it('refuses a version it cannot read rather than guessing', () => {
    for (const version of ['', '22', 'v22.3.0', 'x.y.z', '22.x.0']) {
      assert.match(unsupportedRuntime(version) ?? '', /needs Node\.js 22\.3 or newer/, version)
    }
  })

  it('throws a named error for an older version and nothing for this one', () => {
    assert.throws(
      () => assertSupportedRuntime('20.20.2'),
      (err: unknown) =>
        err instanceof UnsupportedRuntimeError &&
        err.code === 'ERR_UNSUPPORTED_RUNTIME' &&
        err.message.includes('this is 20.20.2'),
    )
    assertSupportedRuntime()
  })

  it('says what package.json engines says', async () => {
    const manifest = JSON.parse(
      await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { engines: { node: string } }
    assert.equal(manifest.engines.node, `>=${MINIMUM_NODE_VERSION.join('.')}`)
  })
})
