/**
 * Identity files on a real file system: created 0600 and whole, refused when linked or open to
 * others, locked against a second process (and taken over from a dead one), and a full disk
 * (a 16 KiB tmpfs mounted for the test; needs root, as the namespace tests do) gives a named
 * error and leaves the previous files intact with no temporary file behind.
 */
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  incarnationPath,
  lockPath,
  type NodeIdentity,
  persistentIdentity,
} from '../../src/node/identity-store.ts'
import { FileLockedError, FileWriteError, InsecureFileError } from '../../src/node/private-file.ts'

const NOW = 1_700_000_000_000

/** The pid of a process that has exited (so no live process holds it, barring reuse). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(child.stdout.toString())
}

describe('identity store', () => {
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gossip-sd-identity-'))
  })

  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('creates the key and incarnation 0600, holds a pid lock while in use', async () => {
    const keyFile = join(dir, 'fresh.key')
    const identity = await persistentIdentity(keyFile, NOW)
    for (const path of [keyFile, incarnationPath(keyFile), lockPath(keyFile)])
      assert.equal((await stat(path)).mode & 0o777, 0o600, path)
    assert.equal((await readFile(lockPath(keyFile), 'utf8')).trim(), String(process.pid))
    assert.equal(identity.incarnation, BigInt(NOW))
    await identity.release()
    await assert.rejects(stat(lockPath(keyFile)), /ENOENT/)
    const again = await persistentIdentity(keyFile, NOW)
    assert.equal(again.incarnation, BigInt(NOW) + 1n, 'a clock that did not move still rises')
    assert.deepEqual(again.seed, identity.seed)
    await again.release()
    assert.deepEqual((await readdir(dir)).sort(), ['fresh.key', 'fresh.key.incarnation'])
  })

  it('refuses a second user of the same key while the first is alive', async () => {
    const keyFile = join(dir, 'shared.key')
    const first = await persistentIdentity(keyFile, NOW)
    await assert.rejects(
      persistentIdentity(keyFile, NOW),
      (err: unknown) =>
        err instanceof FileLockedError &&
        err.pid === process.pid &&
        /shared\.key\.lock is held by process/.test(err.message),
    )
    await first.release()
  })

  it('takes over a lock whose process is gone', async () => {
    const keyFile = join(dir, 'stale.key')
    await writeFile(lockPath(keyFile), `${deadPid()}\n`, { mode: 0o600 })
    const identity = await persistentIdentity(keyFile, NOW)
    assert.equal((await readFile(lockPath(keyFile), 'utf8')).trim(), String(process.pid))
    await identity.release()
  })

  it('refuses key and incarnation files that are links or open to others', async () => {
    const keyFile = join(dir, 'open.key')
    const made = await persistentIdentity(keyFile, NOW)
    await made.release()
    await chmod(keyFile, 0o644)
    await assert.rejects(
      persistentIdentity(keyFile, NOW),
      (err: unknown) =>
        err instanceof InsecureFileError &&
        err.option === 'keyFile' &&
        /open to group or others \(mode 0644\); chmod 600 it/.test(err.message),
    )
    await chmod(keyFile, 0o600)
    await chmod(incarnationPath(keyFile), 0o640)
    await assert.rejects(persistentIdentity(keyFile, NOW), InsecureFileError)
    await chmod(incarnationPath(keyFile), 0o600)
    const linked = join(dir, 'linked.key')
    await symlink(keyFile, linked)
    await assert.rejects(
      persistentIdentity(linked, NOW),
      (err: unknown) => err instanceof InsecureFileError && /symbolic link/.test(err.message),
    )
    await assert.rejects(stat(lockPath(keyFile)), /ENOENT/, 'a refused start releases its lock')
  })

  it('does not create a key through a dangling link', async () => {
    const target = join(dir, 'elsewhere')
    const keyFile = join(dir, 'dangling.key')
    await symlink(target, keyFile)
    await assert.rejects(persistentIdentity(keyFile, NOW))
    await assert.rejects(stat(target), /ENOENT/)
  })

  describe('on a full disk', () => {
    let disk: string

    before(async () => {
      disk = join(dir, 'tiny')
      await mkdir(disk)
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k,mode=0700', 'tmpfs', disk])
    })

    after(() => {
      execFileSync('umount', [disk])
    })

    /** Fills the file system to the last block. */
    async function fill(): Promise<void> {
      await writeFile(join(disk, 'filler'), Buffer.alloc(64 * 1024)).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
      })
    }

    it('names the error, writes no key and leaves no temporary file', async () => {
      await fill()
      const keyFile = join(disk, 'node.key')
      await assert.rejects(
        persistentIdentity(keyFile, NOW),
        (err: unknown) =>
          err instanceof FileWriteError && /no space left on device \(ENOSPC\)/.test(err.message),
      )
      assert.deepEqual(await readdir(disk), ['filler'])
      await rm(join(disk, 'filler'))
    })

    it('keeps the previous incarnation whole when the update cannot be written', async () => {
      const keyFile = join(disk, 'kept.key')
      const first: NodeIdentity = await persistentIdentity(keyFile, NOW)
      await first.release()
      const key = await readFile(keyFile)
      await fill()
      await assert.rejects(persistentIdentity(keyFile, NOW + 5), FileWriteError)
      assert.deepEqual(await readFile(keyFile), key)
      assert.equal((await readFile(incarnationPath(keyFile), 'utf8')).trim(), String(NOW))
      assert.deepEqual((await readdir(disk)).sort(), ['filler', 'kept.key', 'kept.key.incarnation'])
      await rm(join(disk, 'filler'))
      const later = await persistentIdentity(keyFile, NOW + 5)
      assert.equal(later.incarnation, BigInt(NOW + 5))
      await later.release()
    })
  })
})
