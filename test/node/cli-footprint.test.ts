/**
 * What the agent and the CLI load. An ESM import of 'node:http' evaluates every export of the
 * module, and on Node 22 three of them load undici, TLS, HTTP/2 and zlib (about 6 MiB resident
 * in each agent of a 20-agent cluster); node-http.ts avoids that. Each case runs in a fresh Node
 * process, the way a user starts the agent, and reads which built-in modules that process loaded.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const HEAVY = /^NativeModule (http2|tls|zlib|internal\/deps\/undici\/undici)$/

/** The heavy built-in modules a fresh process has loaded after running `imports`. */
function heavyModulesAfter(imports: string): string[] {
  const script = `${imports}\nprocess.stdout.write(JSON.stringify(process.moduleLoadList))`
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--eval', script],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  )
  assert.equal(child.status, 0, child.stderr)
  return (JSON.parse(child.stdout) as string[]).filter((name) => HEAVY.test(name))
}

describe('built-in modules the CLI loads', () => {
  it('the agent command and the control client load no undici, TLS, HTTP/2 or zlib', () => {
    const loaded = heavyModulesAfter(
      "await import('./src/cli/commands/agent.ts')\nawait import('./src/cli/control-client.ts')",
    )
    assert.deepEqual(loaded, [])
  })

  it('an ESM import of node:http would load them (what the check above guards against)', () => {
    const loaded = heavyModulesAfter("await import('node:http')")
    assert.ok(loaded.includes('NativeModule internal/deps/undici/undici'), loaded.join(', '))
  })
})
