/**
 * biregister's Register: a Watcher that also registers this process under the prefix and keeps
 * it alive (the node's heartbeat stands in for the etcd lease keep-alive; `ttl` seconds becomes
 * the instance TTL, so a crashed process disappears ttl seconds after its last heartbeat).
 *
 * Default name. biregister names an anonymous registration "/" + the next etcd revision,
 * zero-padded to 20 digits, so names are unique and sort in registration order. The mesh has
 * no global revision; its equivalent is
 *
 *   "/" + pad20(max(now on the node clock in ms, 1 + highest such number under the prefix))
 *       + "-" + this node's peer ID
 *
 * The number never goes backwards on a node and exceeds every default name the node has seen
 * under the prefix, so names sort in registration order as revisions do; the peer ID makes a
 * name unique even when two nodes register in the same millisecond.
 *
 * Leader. etcd's lowest create revision stays lowest until its key is deleted; here the
 * register runs an election on its node, so that its registration claims leadership when it
 * leads, and a claimed leader stays leader while live, whatever the clocks (shared/claims.ts).
 */
import type { DiscoveryNode, RegistrationHandle } from '../../contract.ts'
import { claimLeadership } from '../shared/claims.ts'
import { instancesUnder, keyOf, keyToRef } from '../shared/keyspace.ts'
import { requireNonEmptyString, requireString } from '../shared/validate.ts'
import { NameTakenError } from './errors.ts'
import { MeshWatcher, type Watcher } from './watcher.ts'

/** A registration under a prefix that also watches the prefix (biregister `Register`). */
export interface Register extends Watcher {
  /** The full key: prefix + name. */
  myKey(): string
  /** The name: given, or the default one. */
  myName(): string
  /** True while this registration is the leader under the prefix. */
  amILeader(): boolean
}

const DEFAULT_NAME = /^\/(\d{20})-/

class MeshRegister extends MeshWatcher implements Register {
  #handle: RegistrationHandle | undefined
  #name = ''
  #stopClaiming: () => void = () => undefined

  myKey(): string {
    return this.prefix + this.#name
  }

  myName(): string {
    return this.#name
  }

  amILeader(): boolean {
    return this.#handle !== undefined && this.leaderInstance()?.key === this.#handle.key
  }

  /**
   * biregister's Close: closes the watcher and stops the lease keep-alive, so the key lapses
   * `ttl` seconds later (it is withdrawn then, on the node's clock), not at once.
   */
  override close(): void {
    const handle = this.#handle
    this.#handle = undefined
    this.#stopClaiming()
    super.close()
    if (handle === undefined) return
    this.discovery.scheduler.setTimer(this.ttl * 1000, () => {
      handle.deregister().catch(() => undefined) // the node may have stopped meanwhile
    })
  }

  async registerMyself(name: string | undefined, value: string): Promise<void> {
    this.#name = name ?? this.#defaultName()
    const key = this.myKey()
    if (this.has(this.#name)) throw new NameTakenError(key)
    const { service, id } = keyToRef(key)
    this.#stopClaiming = claimLeadership(this.discovery)
    this.#handle = await this.discovery.register({
      service,
      id,
      addresses: [value],
      ttlMs: this.ttl * 1000,
    })
  }

  #defaultName(): string {
    let highest = -1
    for (const instance of instancesUnder(this.discovery, this.prefix)) {
      const match = DEFAULT_NAME.exec(keyOf(instance).slice(this.prefix.length))
      if (match !== null) highest = Math.max(highest, Number(match[1]))
    }
    const next = Math.max(Math.floor(this.discovery.scheduler.now()), highest + 1)
    return `/${String(next).padStart(20, '0')}-${this.discovery.peerId}`
  }
}

async function create(
  node: DiscoveryNode,
  prefix: string,
  name: string | undefined,
  value: string,
  ttl: number,
): Promise<Register> {
  requireString('value', value)
  const register = new MeshRegister(node, prefix, ttl)
  try {
    await register.registerMyself(name, value)
  } catch (err) {
    register.close()
    throw err
  }
  return register
}

/**
 * Registers `name` = `value` under `prefix` with a `ttl`-second lifetime (biregister
 * `NewRegister`). Rejects with NameTakenError when the name is already registered.
 */
export async function newRegister(
  node: DiscoveryNode,
  prefix: string,
  name: string,
  value: string,
  ttl: number,
): Promise<Register> {
  return create(node, prefix, requireNonEmptyString('name', name), value, ttl)
}

/** As newRegister, with the default name described above (biregister `NewRegisterNoName`). */
export function newRegisterNoName(
  node: DiscoveryNode,
  prefix: string,
  value: string,
  ttl: number,
): Promise<Register> {
  return create(node, prefix, undefined, value, ttl)
}
