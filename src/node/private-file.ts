/**
 * Files only their owner may read: identity keys, incarnations, control tokens and the locks
 * beside them. Every byte on disk is treated as hostile and every write as interruptible:
 *
 * - reads never follow a symbolic link (O_NOFOLLOW), accept only a regular file of this user,
 *   and refuse one that group or others can read or write (as ssh does with its keys);
 * - writes go to a fresh temporary file (O_EXCL, O_NOFOLLOW, mode 0600), which is fsynced and
 *   then published whole: renamed over the old file, or hard-linked when the file must not
 *   exist yet (so two processes can never both create it); the directory is fsynced after. A
 *   crash or a full disk leaves the old file or no file, never a torn one;
 * - a lock is a file holding the holder's pid, created exclusively; one whose pid is no longer
 *   alive is stale and taken over.
 */
import { constants } from 'node:fs'
import { link, open, readFile, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { GossipSdError } from '../membership/errors.ts'
import { InvalidNodeOptionError } from './options.ts'

/** Larger than any key, token, incarnation or pid file: a bigger one is not ours. */
const MAX_PRIVATE_FILE_BYTES = 64 * 1024

/** A private file that is a link, not a regular file, another user's, or open to others. */
export class InsecureFileError extends InvalidNodeOptionError {}

/** Another live process holds the lock (it runs with the same key file). */
export class FileLockedError extends InvalidNodeOptionError {
  readonly pid: number
  constructor(option: string, lockPath: string, pid: number) {
    super(option, `${lockPath} is held by process ${pid} (is another agent using this key?)`)
    this.pid = pid
  }
}

/** Writing a private file failed (full disk, read-only file system, permissions). */
export class FileWriteError extends GossipSdError<'ERR_FILE_WRITE'> {
  readonly path: string
  constructor(path: string, cause: unknown) {
    super('ERR_FILE_WRITE', `cannot save ${path}: ${describe(cause)}`)
    this.path = path
  }
}

function describe(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException).code
  if (code === 'ENOSPC') return 'no space left on device (ENOSPC)'
  return cause instanceof Error ? cause.message : String(cause)
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code
}

/**
 * The bytes of a private file, or undefined when it does not exist. Throws InsecureFileError
 * (named after `option`) for a link, a non-regular file, another user's file or one open to
 * group or others.
 */
export async function readPrivateFile(path: string, option: string): Promise<Buffer | undefined> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined
    if (errno(err) === 'ELOOP')
      throw new InsecureFileError(option, `${path} is a symbolic link; give the file itself`)
    throw new InvalidNodeOptionError(option, `cannot read ${path}: ${describe(err)}`)
  }
  try {
    const info = await handle.stat()
    if (!info.isFile()) throw new InsecureFileError(option, `${path} is not a regular file`)
    const uid = process.getuid?.()
    if (uid !== undefined && info.uid !== uid)
      throw new InsecureFileError(option, `${path} belongs to user ${info.uid}, not to ${uid}`)
    if ((info.mode & 0o077) !== 0)
      throw new InsecureFileError(
        option,
        `${path} is open to group or others (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 it`,
      )
    if (info.size > MAX_PRIVATE_FILE_BYTES)
      throw new InsecureFileError(option, `${path} is ${info.size} bytes, too large to be ours`)
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}

/**
 * Writes `bytes` to `path` whole or not at all (mode 0600). `exclusive`: fail with EEXIST
 * (rethrown as is) when `path` exists, instead of replacing it.
 */
export async function writePrivateFile(
  path: string,
  bytes: Uint8Array | string,
  { exclusive = false }: { exclusive?: boolean } = {},
): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`
  try {
    await unlink(temp).catch((err: unknown) => {
      if (errno(err) !== 'ENOENT') throw err
    })
    const handle = await open(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    )
    try {
      await handle.writeFile(bytes)
      await handle.sync()
    } finally {
      await handle.close()
    }
    if (exclusive) await link(temp, path)
    else await rename(temp, path)
    await syncDirectory(dirname(path))
  } catch (err) {
    if (exclusive && errno(err) === 'EEXIST') throw err
    throw new FileWriteError(path, err)
  } finally {
    await unlink(temp).catch(() => undefined)
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Whether a process with this pid exists (EPERM: it exists, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return errno(err) === 'EPERM'
  }
}

/**
 * Takes the lock file at `lockPath` for this process; resolves with its release. A lock whose
 * holder is gone (crashed, killed) is stale and taken over; one held by a live process (this
 * one included) throws FileLockedError. Two processes breaking the same stale lock at the same
 * instant could both win: the window is one unlink and one create wide.
 */
export async function lockFile(lockPath: string, option: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writePrivateFile(lockPath, `${process.pid}\n`, { exclusive: true })
      return async () => {
        const holder = await lockHolder(lockPath).catch(() => undefined)
        if (holder === process.pid) await unlink(lockPath).catch(() => undefined)
      }
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw err
    }
    const holder = await lockHolder(lockPath)
    if (holder !== undefined && (attempt > 0 || processAlive(holder)))
      throw new FileLockedError(option, lockPath, holder)
    await unlink(lockPath).catch((err: unknown) => {
      if (errno(err) !== 'ENOENT') throw new FileWriteError(lockPath, err)
    })
  }
  throw new FileLockedError(option, lockPath, (await lockHolder(lockPath)) ?? 0)
}

/** The pid in a lock file; undefined when it is gone or does not hold a pid (a torn write). */
async function lockHolder(lockPath: string): Promise<number | undefined> {
  let text: string
  try {
    text = await readFile(lockPath, {
      encoding: 'utf8',
      flag: constants.O_RDONLY | constants.O_NOFOLLOW,
    })
  } catch {
    return undefined
  }
  const trimmed = text.trim()
  return /^[0-9]{1,10}$/.test(trimmed) ? Number(trimmed) : undefined
}
