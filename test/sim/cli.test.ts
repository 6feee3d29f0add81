import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { runScenario, type Scenario } from '../../sim/index.ts'

const run = promisify(execFile)

const scenario: Scenario = {
  name: 'replayed',
  nodes: 4,
  instancesPerNode: 1,
  services: 1,
  preset: 'local',
  durationMs: 6_000,
  sampleMs: 100,
  events: [
    { at: 1_000, type: 'partition', groups: [{ slots: [0] }] },
    { at: 3_000, type: 'heal' },
  ],
}

test('--replay reruns a saved failure event for event and writes JSON and HTML', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gossip-sd-sim-cli-'))
  const replay = join(dir, 'failure.json')
  writeFileSync(replay, JSON.stringify({ seed: 11, quietMs: 2_000, scenario }))
  const json = join(dir, 'out.json')
  const html = join(dir, 'out.html')
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'sim/cli.ts', '--replay', replay, '--json', json, '--report', html],
    { cwd: join(import.meta.dirname, '../..') },
  )
  assert.match(stdout, /properties hold/)
  const fromCli = JSON.parse(readFileSync(json, 'utf8')) as { trace: { hash: string } }
  const inProcess = await runScenario(scenario, { seed: 11 })
  assert.equal(fromCli.trace.hash, inProcess.trace.hash)
  assert.match(readFileSync(html, 'utf8'), /<svg /)
})

test('the CLI names a bad scenario and exits 2', async () => {
  await assert.rejects(
    run(process.execPath, ['--import', 'tsx', 'sim/cli.ts', '--scenario', 'nope'], {
      cwd: join(import.meta.dirname, '../..'),
    }),
    (err: { code?: number; stderr?: string }) =>
      err.code === 2 && /ScenarioError: no scenario nope/.test(err.stderr ?? ''),
  )
})
