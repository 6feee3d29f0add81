/**
 * The control endpoint's bearer token. The agent writes a fresh random token, readable by its
 * user only, where clients of that endpoint find it:
 *
 * - a unix socket at PATH: `PATH.token`, beside it;
 * - a TCP port: `<run directory>/HOST-PORT.token` (see runDirectory in endpoint.ts), in a
 *   directory of this user's that is mode 0700 and refused when it is a link, another user's,
 *   or open to others (someone else could otherwise plant or read tokens there).
 *
 * Every request must carry it (`authorization: Bearer TOKEN`); the client reads it for itself.
 * File permissions decide who can use the agent: whoever can read the token file. The file's
 * second line is the agent's pid: an agent serving in the run directory removes the tokens
 * (and default sockets) of agents that died without stopping, so kill -9s do not pile up. That
 * sweep reads every token there, four file operations each, and runs after the endpoint is up,
 * never before: on a loaded host each operation waits for a turn of the CPU, and hundreds of
 * tokens once held an agent's start for 10–50 s at 20 agents.
 */
import { randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidNodeOptionError } from '../node/options.ts'
import {
  InsecureFileError,
  processAlive,
  readPrivateFile,
  writePrivateFile,
} from '../node/private-file.ts'
import { type ControlEndpoint, runDirectory } from './endpoint.ts'

export function tokenPath(endpoint: ControlEndpoint): string {
  return endpoint.kind === 'unix'
    ? `${endpoint.path}.token`
    : join(runDirectory(), `${endpoint.host}-${endpoint.port}.token`)
}

/** Creates this user's run directory (0700) or checks the one that exists. */
export async function ensureRunDirectory(): Promise<string> {
  const dir = runDirectory()
  await mkdir(dir, { mode: 0o700 }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  })
  const info = await lstat(dir)
  const uid = process.getuid?.()
  if (!info.isDirectory())
    throw new InsecureFileError('control', `${dir} is not a directory (a link?); remove it`)
  if (uid !== undefined && info.uid !== uid)
    throw new InsecureFileError('control', `${dir} belongs to user ${info.uid}, not to ${uid}`)
  if ((info.mode & 0o077) !== 0)
    throw new InsecureFileError('control', `${dir} is open to group or others; chmod 700 it`)
  return dir
}

/**
 * Removes the tokens, and default sockets, that agents no longer alive left in the run
 * directory (checked first, as ensureRunDirectory does).
 */
export async function sweepDeadAgents(): Promise<void> {
  const dir = await ensureRunDirectory()
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.token')) continue
    const path = join(dir, name)
    const lines = await readPrivateFile(path, 'control').then(
      (bytes) => bytes?.toString('utf8').split('\n') ?? [],
      () => [],
    )
    const pid = /^[0-9]{1,10}$/.test(lines[1] ?? '') ? Number(lines[1]) : undefined
    if (pid === undefined || processAlive(pid)) continue
    await unlink(path).catch(() => undefined)
    if (name.endsWith('.sock.token'))
      await unlink(path.slice(0, -'.token'.length)).catch(() => undefined)
  }
}

/** Writes a new token for `endpoint` (replacing a dead agent's) and returns it. */
export async function createToken(endpoint: ControlEndpoint): Promise<string> {
  const path = tokenPath(endpoint)
  if (endpoint.kind === 'tcp') await ensureRunDirectory()
  await unlink(path).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new InvalidNodeOptionError('control', `cannot replace ${path}: ${String(err)}`)
  })
  const token = randomBytes(32).toString('hex')
  await writePrivateFile(path, `${token}\n${process.pid}\n`, { exclusive: true })
  return token
}

export async function removeToken(endpoint: ControlEndpoint): Promise<void> {
  await unlink(tokenPath(endpoint)).catch(() => undefined)
}

/** The token of the agent at `endpoint`; throws when there is none this user may read. */
export async function readToken(endpoint: ControlEndpoint): Promise<string> {
  const path = tokenPath(endpoint)
  const bytes = await readPrivateFile(path, 'control')
  if (bytes === undefined)
    throw new InvalidNodeOptionError(
      'control',
      `no token at ${path} (is an agent running there, as this user?)`,
    )
  return bytes.toString('utf8').split('\n')[0]?.trim() ?? ''
}
