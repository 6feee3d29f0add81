/**
 * The package as a user gets it. `npm pack` (which builds), install the tarball into a fresh
 * project, and there: run a plain .mjs on Node that imports every `exports` entry and runs two
 * nodes on loopback; type-check a consumer .ts against the shipped declarations; run the
 * installed bin's --help and an agent to its ready line, stopped by SIGTERM; and on a Node.js
 * older than `engines`, the bin and `createNode` refuse and say which version is needed.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import {
  access,
  constants,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { unsupportedRuntime } from '../../src/node/runtime.ts'
import {
  type CliResult,
  killAllAgents,
  type Launcher,
  REPO_ROOT,
  runProcess,
  spawnAgent,
} from '../helpers/agent-process.ts'
import { withDeadline } from '../helpers/deadline.ts'

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'package')
/** This Node first on PATH, so npm scripts and the bin's `#!/usr/bin/env node` run on it. */
const ENV = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` }

/** Runs a command in `cwd` with this Node first on PATH; fails the test past `ms`. */
function run(command: string, args: readonly string[], cwd: string, ms: number) {
  return runProcess(command, args, { cwd, env: ENV }, ms)
}

/** A Node.js older than the package supports: the environment that puts it first on PATH. */
interface OlderNode {
  readonly label: string
  readonly env: NodeJS.ProcessEnv
}

/**
 * How to run Node.js older than the package supports: this Node made to report 20.0.0 (always),
 * and every older `node` on PATH (this machine's system Node is 20).
 */
async function olderNodes(): Promise<OlderNode[]> {
  const pretend = "Object.defineProperty(process.versions,'node',{value:'20.0.0'})"
  const runs: OlderNode[] = [
    {
      label: `${process.execPath} reporting 20.0.0`,
      env: { ...ENV, NODE_OPTIONS: `--import=data:text/javascript,${pretend}` },
    },
  ]
  const dirs = new Set((process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== ''))
  for (const dir of dirs) {
    const node = join(dir, 'node')
    if (node === process.execPath) continue
    const runnable = await access(node, constants.X_OK).then(
      () => true,
      () => false,
    )
    if (!runnable) continue
    const version = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim()
    if (unsupportedRuntime(version) !== undefined) {
      runs.push({
        label: `${node} ${version}`,
        env: { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH}` },
      })
    }
  }
  return runs
}

function succeeded(result: CliResult, what: string): CliResult {
  assert.equal(result.code, 0, `${what} failed:\n${result.stdout}\n${result.stderr}`)
  return result
}

describe('the packed package, installed into a fresh project', () => {
  let dir: string
  let project: string
  let packed: { filename: string; files: Array<{ path: string }> }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossip-sd-consumer-'))
    project = join(dir, 'project')
    const pack = succeeded(
      await run('npm', ['pack', '--json', '--pack-destination', dir], REPO_ROOT, 120_000),
      'npm pack',
    )
    ;[packed] = JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[/m))) as [typeof packed]
    await mkdir(project)
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    )
    succeeded(
      await run(
        'npm',
        ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, packed.filename)],
        project,
        120_000,
      ),
      'npm install of the tarball',
    )
    await copyFile(join(FIXTURES, 'use.mjs'), join(project, 'use.mjs'))
    await copyFile(join(FIXTURES, 'consumer.ts'), join(project, 'consumer.ts'))
    await copyFile(join(FIXTURES, 'start-node.mjs'), join(project, 'start-node.mjs'))
  })

  after(async () => {
    await killAllAgents()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('ships only compiled output, the bin, README, LICENSE and the .proto; no run-time tsx', async () => {
    const paths = packed.files.map((f) => f.path)
    const stray = paths.filter(
      (p) =>
        !p.startsWith('dist/') &&
        !['package.json', 'README.md', 'LICENSE', 'bin/gossip-sd.js'].includes(p) &&
        p !== 'src/membership/wire.proto',
    )
    assert.deepEqual(stray, [])
    assert.ok(paths.includes('dist/src/index.d.ts'))
    assert.equal(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts')).length, 0)
    const manifest = JSON.parse(
      await readFile(join(project, 'node_modules', 'gossip-sd', 'package.json'), 'utf8'),
    ) as { dependencies: Record<string, string> }
    assert.equal(manifest.dependencies.tsx, undefined)
  })

  it('imports every exports entry on plain Node and runs two nodes on loopback', async () => {
    const result = succeeded(await run(process.execPath, ['use.mjs'], project, 30_000), 'use.mjs')
    const seen = JSON.parse(result.stdout.trim().split('\n').at(-1) as string) as {
      entries: Record<string, number>
    }
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>
    }
    const expected = Object.keys(manifest.exports)
      .filter((subpath) => subpath !== './package.json')
      .map((subpath) => (subpath === '.' ? 'gossip-sd' : `gossip-sd/${subpath.slice(2)}`))
    assert.deepEqual(Object.keys(seen.entries), expected)
    for (const [entry, count] of Object.entries(seen.entries)) assert.ok(count > 0, entry)
    assert.deepEqual(
      { ...seen, entries: undefined },
      {
        entries: undefined,
        snapshot: 'snapshot',
        rejected: 'ERR_INVALID_ARGUMENT',
        created: true,
        lookup: ['true:cart-1'],
        deleted: true,
      },
    )
  })

  it('type-checks a consumer .ts against the shipped declarations', async () => {
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          types: ['node'],
          typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
        },
        files: ['consumer.ts'],
      }),
    )
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    succeeded(await run(process.execPath, [tsc, '-p', project], project, 60_000), 'tsc')
  })

  it('runs the installed bin: --help, and an agent to its ready line, stopped by SIGTERM', async () => {
    const bin = join(project, 'node_modules', '.bin', 'gossip-sd')
    const help = succeeded(await run(bin, ['--help'], project, 15_000), '--help')
    assert.match(help.stdout, /Usage: gossip-sd COMMAND/)
    const installed: Launcher = { command: bin, args: [], cwd: project, env: ENV }
    const agent = await spawnAgent(
      ['--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--control', join(dir, 'agent.sock')],
      20_000,
      installed,
    )
    assert.match(agent.address, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
    agent.kill('SIGTERM')
    assert.equal(await withDeadline(agent.exited, 15_000, 'agent exit after SIGTERM'), 0)
  })

  it('on an older Node.js, the bin and createNode refuse, naming the version needed', async () => {
    const bin = join(project, 'node_modules', '.bin', 'gossip-sd')
    for (const { label, env } of await olderNodes()) {
      const cli = await runProcess(bin, ['agent', '--no-mdns'], { cwd: project, env }, 15_000)
      assert.equal(cli.code, 1, `${label}: ${cli.stderr}`)
      assert.match(
        cli.stderr,
        /^gossip-sd: gossip-sd needs Node\.js 22\.3 or newer; this is 20\./,
        label,
      )
      const lib = await runProcess('node', ['start-node.mjs'], { cwd: project, env }, 15_000)
      assert.equal(lib.code, 0, `${label}: ${lib.stderr}`)
      const refusal = JSON.parse(lib.stdout.trim()) as {
        name: string
        code: string
        message: string
      }
      assert.equal(refusal.name, 'UnsupportedRuntimeError', label)
      assert.equal(refusal.code, 'ERR_UNSUPPORTED_RUNTIME', label)
      assert.match(refusal.message, /needs Node\.js 22\.3 or newer; this is 20\./, label)
    }
  })
})
