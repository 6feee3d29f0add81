/**
 * Real agent processes for tests and benchmarks: spawn `gossip-sd agent --json` with the same
 * Node binary, wait for its ready line, follow its NDJSON events, and clean up by PID.
 * Every agent listens on 127.0.0.1 with mDNS off unless the caller passes its own flags.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LineLog, parseJsonLine } from './line-log.ts'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = ['--import', 'tsx', 'src/cli/main.ts']

export interface InstanceLine {
  key: string
  service: string
  id: string
  addresses: string[]
  owner: string
  metadata: Record<string, string>
}

export type AgentEvent =
  | { type: 'ready'; peerId: string; addresses: string[]; control: string; warnings: string[] }
  | { type: 'created' | 'updated' | 'deleted' | 'expired'; instance: InstanceLine; at: number }
  | { type: 'peer'; event: 'connected' | 'disconnected'; peer: string; at: number }

export interface Agent {
  readonly pid: number
  readonly peerId: string
  /** The agent's first listen address, with /p2p/. */
  readonly address: string
  readonly control: string
  readonly events: LineLog<AgentEvent>
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>
  stderr(): string
  kill(signal: NodeJS.Signals): void
}

/** Flags that keep an agent on loopback with mDNS off and its control port on loopback. */
export const LOOPBACK_FLAGS = [
  '--no-mdns',
  '--listen',
  '/ip4/127.0.0.1/tcp/0',
  '--control',
  '127.0.0.1:0',
]

const running = new Set<ChildProcess>()

/** How to start the CLI: the sources under tsx by default, or another launcher (an installed bin). */
export interface Launcher {
  readonly command: string
  readonly args: readonly string[]
  readonly cwd: string
  readonly env?: NodeJS.ProcessEnv
}

/** The repository's sources, run with tsx on this process's Node. */
export const SOURCE_LAUNCHER: Launcher = { command: process.execPath, args: CLI, cwd: REPO_ROOT }

/**
 * The compiled CLI (dist/) the way it ships: bin/gossip-sd.js started through its shebang, so
 * with the Node flags the shebang gives, on this process's Node (first on PATH).
 */
export const COMPILED_LAUNCHER: Launcher = {
  command: join(REPO_ROOT, 'bin', 'gossip-sd.js'),
  args: [],
  cwd: REPO_ROOT,
  env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` },
}

/** Spawns `gossip-sd agent --json <flags>` and resolves once its ready line arrives. */
export async function spawnAgent(
  flags: readonly string[],
  readyMs = 20_000,
  launcher: Launcher = SOURCE_LAUNCHER,
): Promise<Agent> {
  const child = spawn(launcher.command, [...launcher.args, 'agent', '--json', ...flags], {
    cwd: launcher.cwd,
    env: launcher.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child)
      resolve(code)
    }),
  )
  const events = new LineLog<AgentEvent>(
    child.stdout as NonNullable<typeof child.stdout>,
    parseJsonLine,
  )
  const exitedEarly = exited.then((code) => {
    throw new Error(`agent exited with ${code} before it was ready:\n${stderr}`)
  })
  exitedEarly.catch(() => undefined)
  const ready = await Promise.race([
    events.waitFor((e) => e.type === 'ready', readyMs, `agent ${child.pid} ready line`),
    exitedEarly,
  ]).catch((err: unknown) => {
    const cpu = cpuTimes(child.pid as number)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    throw new Error(`${err instanceof Error ? err.message : err}${cpu}; its stderr:\n${stderr}`)
  })
  if (ready.type !== 'ready') throw new Error('unreachable: waited for the ready line')
  return {
    pid: child.pid as number,
    peerId: ready.peerId,
    address: ready.addresses[0] as string,
    control: ready.control,
    events,
    exited,
    stderr: () => stderr,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null)
        process.kill(child.pid as number, signal)
    },
  }
}

/**
 * " (ran 0.4 s, waited 52.1 s for a CPU)": a process's time on a CPU and in the run queue, from
 * Linux's /proc/<pid>/schedstat, to tell a starved start from a stuck one; empty elsewhere.
 */
function cpuTimes(pid: number): string {
  try {
    const [ran, waited] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number)
    return ` (ran ${((ran ?? 0) / 1e9).toFixed(1)} s, waited ${((waited ?? 0) / 1e9).toFixed(1)} s for a CPU)`
  } catch {
    return ''
  }
}

/** SIGKILLs every agent this process spawned that is still running, and waits for the exits. */
export async function killAllAgents(): Promise<void> {
  const children = [...running]
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once('exit', () => resolve())
          process.kill(child.pid as number, 'SIGKILL')
        }),
    ),
  )
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs one `gossip-sd` command to completion (killed by PID after `ms`). */
export function runCli(
  args: readonly string[],
  ms = 60_000,
  launcher: Launcher = SOURCE_LAUNCHER,
): Promise<CliResult> {
  return runProcess(launcher.command, [...launcher.args, ...args], launcher, ms)
}

/** Runs any command to completion, collecting its output (killed by PID after `ms`). */
export async function runProcess(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv },
  ms: number,
): Promise<CliResult> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const timer = setTimeout(() => process.kill(child.pid as number, 'SIGKILL'), ms)
  const code = await new Promise<number | null>((resolve) =>
    child.once('close', (exitCode) => {
      running.delete(child)
      resolve(exitCode)
    }),
  )
  clearTimeout(timer)
  return { code, stdout, stderr }
}

/** Waits until every agent logged an event matching `match`; returns them in agent order. */
export function waitAll(
  agents: readonly Agent[],
  match: (event: AgentEvent) => boolean,
  ms: number,
  what: string,
): Promise<AgentEvent[]> {
  return Promise.all(agents.map((a) => a.events.waitFor(match, ms, `${what} on agent ${a.pid}`)))
}

/** Matches a change event of one kind for one instance key. */
export function change(type: 'created' | 'updated' | 'deleted' | 'expired', key: string) {
  return (event: AgentEvent): boolean =>
    event.type === type && 'instance' in event && event.instance.key === key
}
