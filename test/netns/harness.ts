/**
 * A private network of Linux network namespaces for tests that need real sockets between hosts
 * (mDNS multicast, a link going down and up) without touching the machine's own network.
 *
 * Topology for N hosts, every name carrying a per-run prefix `gsd-<pid>-<random>`:
 *
 *   <prefix>-sw   the "switch": bridge br0 with ports p0..p(N-1), and nothing else
 *   <prefix>-h0   a host: lo (up) and eth0 = 10.203.0.2/24, the veth peer of p0
 *   <prefix>-h1   a host: lo (up) and eth0 = 10.203.0.3/24, the veth peer of p1, ...
 *
 * Why it cannot leak: every link is created from inside a namespace of this run
 * (`ip -n SW link add pI type veth peer name eth0 netns HI`), so the root namespace never gets a
 * link, address or route, and the switch has no uplink: frames on the bridge, multicast included,
 * can only reach the hosts. Each host routes 224.0.0.0/4 to eth0, because a namespace without a
 * default route has no way to send multicast (mDNS) otherwise.
 *
 * A partition is `linkDown(host)`: the host's switch port goes down, like pulling its cable at the
 * switch. The host keeps its address and routes, its eth0 loses carrier, and frames in both
 * directions are dropped; `linkUp(host)` plugs it back in.
 *
 * Cleanup, in three layers: `cleanup()` (from an `after` hook) stops every process started with
 * `spawnIn` (SIGTERM, then SIGKILL after a grace period), kills whatever else is still inside the
 * namespaces and deletes them. If the test process exits without it, an 'exit' handler does the
 * same at once (SIGKILL). And before creating anything, each run writes a ledger
 * (os.tmpdir()/gossip-sd-netns/<prefix>.json) naming the namespaces it will create; a later run
 * deletes the namespaces of ledgers whose process is gone (a run killed by a signal), and only
 * those, so it never touches namespaces it did not create.
 *
 * Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2's `ip`. Every command runs through
 * execFileSync with an argument vector: no shell, no interpolation. `ip` calls take a few
 * milliseconds, and running them synchronously lets the 'exit' handler share the cleanup code.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** One host namespace on the test bridge. */
export interface Host {
  /** Short name used in messages and as the switch port's index: `h0`, `h1`, ... */
  readonly label: string
  /** The namespace's name, for `ip netns exec`. */
  readonly netns: string
  /** The host's IPv4 address on the bridge, e.g. `10.203.0.2`. */
  readonly address: string
}

export interface NetworkOptions {
  /** How many host namespaces to attach to the bridge (1..250). */
  hosts: number
  /** The /24 the hosts are numbered in, as its first three octets. @default '10.203.0' */
  subnet?: string
  /**
   * Kernel settings for every host namespace, e.g. `{ 'net.ipv4.tcp_retries2': '3' }`. Only
   * per-namespace settings (net.ipv4.tcp_*, ...) make sense: the root namespace's stay untouched.
   * @default {}
   */
  sysctls?: Readonly<Record<string, string>>
}

export interface TestNetwork {
  readonly hosts: readonly Host[]
  /** The namespace holding the bridge. */
  readonly switchNetns: string
  /** Every namespace this network created, switch first. */
  readonly namespaces: readonly string[]
  /** Cuts the host off the bridge: its switch port goes down. */
  linkDown(host: Host): void
  /** Plugs the host back into the bridge. */
  linkUp(host: Host): void
  /**
   * Starts `argv` inside the host's namespace (`ip netns exec`, which execs, so the child's PID is
   * the program's own). Stdio is piped: the caller must read stdout and stderr. The process is
   * stopped by `cleanup()` if it is still running then.
   */
  spawnIn(
    host: Host,
    argv: readonly string[],
    options?: { cwd?: string },
  ): ChildProcessWithoutNullStreams
  /** Stops the processes it started and deletes every namespace it created. Idempotent. */
  cleanup(): Promise<void>
}

/** How long a spawned process gets to exit after SIGTERM before it is killed. */
const TERM_GRACE_MS = 5000
/** Where each run records the namespaces it creates, so a later run can remove a crashed run's. */
export const LEDGER_DIR = join(tmpdir(), 'gossip-sd-netns')
const NAMESPACE_PATTERN = /^gsd-\d+-[0-9a-f]+-(sw|h\d+)$/

/** Runs `ip` with the given arguments and returns its stdout; throws with its stderr. */
export function ip(args: readonly string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    const { code, stderr } = error as NodeJS.ErrnoException & { stderr?: string }
    if (code === 'ENOENT') throw new Error("iproute2's `ip` is not installed")
    throw new Error(`ip ${args.join(' ')}: ${stderr?.trim() || String(error)}`)
  }
}

/** Runs `ip -j ...` in a namespace (or the root one) and parses its JSON; empty output is `[]`. */
export function ipJson(
  netns: string | undefined,
  args: readonly string[],
): Array<Record<string, unknown>> {
  const out = ip(netns === undefined ? ['-j', ...args] : ['-n', netns, '-j', ...args])
  const parsed: unknown = out.trim() === '' ? [] : JSON.parse(out)
  if (!Array.isArray(parsed) || !parsed.every(isRecord)) {
    throw new Error(`ip -j ${args.join(' ')} did not print an array of objects`)
  }
  return parsed
}

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Names of the named network namespaces that exist now. */
export function listNamespaces(): string[] {
  return ipJson(undefined, ['netns', 'list']).flatMap((entry) =>
    typeof entry.name === 'string' ? [entry.name] : [],
  )
}

/** Creates the switch and `options.hosts` host namespaces; on any failure deletes what it made. */
export function createNetwork(options: NetworkOptions): TestNetwork {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the netns tests need root: they create network namespaces and veth links with `ip` ' +
        '(CI runs them as root; run `sudo npm run test:unit` locally)',
    )
  }
  const count = options.hosts
  if (!Number.isInteger(count) || count < 1 || count > 250) {
    throw new RangeError(`hosts must be an integer in 1..250, got ${count}`)
  }
  removeLeftovers()
  const subnet = options.subnet ?? '10.203.0'
  const prefix = `gsd-${process.pid}-${Math.floor(Math.random() * 0x10000).toString(16)}`
  const hosts = Array.from({ length: count }, (_, i) => ({
    label: `h${i}`,
    netns: `${prefix}-h${i}`,
    address: `${subnet}.${i + 2}`,
  }))
  const ledger = join(LEDGER_DIR, `${prefix}.json`)
  const network = new NetnsNetwork(`${prefix}-sw`, hosts, ledger, options.sysctls ?? {})
  network.build()
  return network
}

class NetnsNetwork implements TestNetwork {
  readonly namespaces: readonly string[]
  readonly #children = new Set<ChildProcessWithoutNullStreams>()
  readonly #onExit = () => this.#teardown()
  #cleaned = false

  constructor(
    readonly switchNetns: string,
    readonly hosts: readonly Host[],
    readonly ledger: string,
    readonly sysctls: Readonly<Record<string, string>>,
  ) {
    this.namespaces = [switchNetns, ...hosts.map((host) => host.netns)]
  }

  /** Records the ledger, then creates everything; on any failure deletes what it made and throws. */
  build(): void {
    mkdirSync(LEDGER_DIR, { recursive: true })
    writeFileSync(this.ledger, JSON.stringify({ pid: process.pid, namespaces: this.namespaces }))
    process.once('exit', this.#onExit)
    try {
      this.#createLinks()
    } catch (error) {
      this.#teardown()
      throw error
    }
  }

  linkDown(host: Host): void {
    ip(['-n', this.switchNetns, 'link', 'set', `p${this.#own(host)}`, 'down'])
  }

  linkUp(host: Host): void {
    ip(['-n', this.switchNetns, 'link', 'set', `p${this.#own(host)}`, 'up'])
  }

  spawnIn(host: Host, argv: readonly string[], options: { cwd?: string } = {}) {
    this.#own(host)
    const child = spawn('ip', ['netns', 'exec', host.netns, ...argv], {
      cwd: options.cwd,
      stdio: 'pipe',
    })
    this.#children.add(child)
    child.once('exit', () => this.#children.delete(child))
    return child
  }

  async cleanup(): Promise<void> {
    if (this.#cleaned) return
    this.#cleaned = true
    await Promise.all([...this.#children].map(terminate))
    this.#teardown()
  }

  #createLinks(): void {
    const sw = this.switchNetns
    ip(['netns', 'add', sw])
    ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0'])
    ip(['-n', sw, 'link', 'set', 'br0', 'up'])
    for (const [i, host] of this.hosts.entries()) {
      const ns = host.netns
      ip(['netns', 'add', ns])
      ip(['-n', sw, 'link', 'add', `p${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns])
      ip(['-n', sw, 'link', 'set', `p${i}`, 'master', 'br0', 'up'])
      ip(['-n', ns, 'link', 'set', 'lo', 'up'])
      ip(['-n', ns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0'])
      ip(['-n', ns, 'link', 'set', 'eth0', 'up'])
      ip(['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0'])
      const settings = Object.entries(this.sysctls).map(([key, value]) => `${key}=${value}`)
      if (settings.length > 0) ip(['netns', 'exec', ns, 'sysctl', '-qw', ...settings])
    }
  }

  /** Kills what still runs, deletes the namespaces that exist, then the ledger. */
  #teardown(): void {
    this.#cleaned = true
    process.removeListener('exit', this.#onExit)
    for (const child of this.#children) child.kill('SIGKILL')
    deleteNamespaces(this.namespaces)
    rmSync(this.ledger, { force: true })
  }

  /** The host's index; throws for a host of another network or after cleanup. */
  #own(host: Host): number {
    const index = this.hosts.indexOf(host)
    if (index < 0) throw new Error(`${host.label} (${host.netns}) is not a host of this network`)
    if (this.#cleaned) throw new Error('the network was cleaned up')
    return index
  }
}

/** SIGTERM, then SIGKILL if the process has not exited after the grace period. */
async function terminate(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), TERM_GRACE_MS)
  await exited
  clearTimeout(timer)
}

/**
 * Deletes those of `namespaces` that exist, after killing what still runs inside them (only
 * processes this harness started, or their children, can be there). Deleting the switch destroys
 * the bridge and the veth pairs with it. Tries every namespace, then throws the first failure.
 */
function deleteNamespaces(namespaces: readonly string[]): void {
  const existing = new Set(listNamespaces())
  const failures: unknown[] = []
  for (const ns of namespaces.filter((name) => existing.has(name))) {
    try {
      for (const pid of ip(['netns', 'pids', ns])
        .split('\n')
        .filter((line) => line !== '')) {
        killIfAlive(Number(pid))
      }
      ip(['netns', 'del', ns])
    } catch (error) {
      failures.push(error)
    }
  }
  if (failures.length > 0) throw failures[0]
}

/** Deletes the namespaces recorded by earlier runs whose process no longer exists. */
function removeLeftovers(): void {
  let files: string[]
  try {
    files = readdirSync(LEDGER_DIR)
  } catch {
    return
  }
  for (const file of files) {
    const path = join(LEDGER_DIR, file)
    const ledger = readLedger(path)
    if (ledger === undefined || isAlive(ledger.pid)) continue
    deleteNamespaces(ledger.namespaces)
    rmSync(path, { force: true })
  }
}

/** A ledger written by `build`, or undefined if the file is not one (then it is left alone). */
function readLedger(path: string): { pid: number; namespaces: string[] } | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'))
    if (!isRecord(value)) return undefined
    const { pid, namespaces } = value
    if (typeof pid !== 'number' || !Array.isArray(namespaces)) return undefined
    const names = namespaces.filter(
      (ns): ns is string =>
        typeof ns === 'string' && NAMESPACE_PATTERN.test(ns) && ns.startsWith(`gsd-${pid}-`),
    )
    return names.length === namespaces.length ? { pid, namespaces: names } : undefined
  } catch {
    return undefined
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** SIGKILL, ignoring a process that has exited meanwhile. */
function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}
