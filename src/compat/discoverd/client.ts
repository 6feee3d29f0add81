/**
 * discoverd's Client over a discovery node. There is no agent to dial and no DefaultClient:
 * discoverd's Connect/NewClient/NewClientWithAddr become newClient(node), and the package-level
 * functions are the methods of that client. Registrations live as long as the node heartbeats
 * them (discoverd's client heartbeats) and leave at once on unregister. close() is discoverd's
 * Close: heartbeats stop and the agent lets each registration expire after its TTL; here each is
 * withdrawn one TTL later on the node's clock (a node refreshes all of its instances with one
 * heartbeat, so one cannot be left unrefreshed while the node runs). A client that registers
 * runs an election on its node, so that its registration claims leadership when it leads and
 * keeps it while live (shared/claims.ts).
 */

import type { DiscoveryNode, RegistrationHandle } from '../../contract.ts'
import { claimLeadership } from '../shared/claims.ts'
import { TimeoutError } from '../shared/errors.ts'
import { waitUntil } from '../shared/feed.ts'
import { leaderOn } from '../shared/leader.ts'
import {
  requireDuration,
  requireNode,
  requireNonEmptyString,
  requireStringMap,
} from '../shared/validate.ts'
import { expandAddr, toService } from './convert.ts'
import { UnknownRegistrationError } from './errors.ts'
import { MeshServiceSet, type ServiceSet } from './service-set.ts'
import type { Service } from './types.ts'

/** A reasonable timeout for services(name, timeout), in ms (discoverd `DefaultTimeout`). */
export const DEFAULT_TIMEOUT = 1000

/** What registerAndStandby returns once the registration is made. */
export interface Standby {
  /**
   * Resolves with this registration's Service when it is or becomes leader of its service.
   * Rejects with UnknownRegistrationError if it is unregistered first, or with the signal's
   * reason if the signal aborts first.
   */
  readonly elected: Promise<Service>
}

interface Registration {
  readonly name: string
  /** The address as registered (port-only addresses expanded). */
  readonly addr: string
  readonly handle: RegistrationHandle
  /** Ends a pending standby when the registration goes away. */
  readonly withdrawn: AbortController
}

/** flynn discoverd's Client over the mesh: register, look up, watch and elect per service. */
export interface Client {
  /** Announces `addr` (":port" expands to the node's host) under `name`. */
  register(name: string, addr: string): Promise<void>
  /** As register, with attributes; registering again replaces them (the age is kept). */
  registerWithAttributes(
    name: string,
    addr: string,
    attributes?: Record<string, string> | null,
  ): Promise<void>
  /** Registers, then resolves `elected` when this registration is leader (standby mode). */
  registerAndStandby(
    name: string,
    addr: string,
    attributes?: Record<string, string> | null,
    options?: { signal?: AbortSignal },
  ): Promise<Standby>
  /** Registers and returns a ServiceSet of `name` that leaves this registration out. */
  registerWithSet(
    name: string,
    addr: string,
    attributes?: Record<string, string> | null,
  ): Promise<ServiceSet>
  /** Withdraws a registration; rejects with UnknownRegistrationError if there is none. */
  unregister(name: string, addr: string): Promise<void>
  /** Withdraws every registration made by this client. */
  unregisterAll(): Promise<void>
  /**
   * The services of `name`, oldest first, once at least one is present; rejects with
   * TimeoutError after `timeoutMs` (on the node's clock) otherwise.
   */
  services(name: string, timeoutMs?: number): Promise<Service[]>
  /** A live ServiceSet of `name`. */
  newServiceSet(name: string): ServiceSet
  /**
   * discoverd's Close: closes every set made by this client, ends pending standbys, and lets each
   * registration lapse one TTL from now (it is withdrawn then), as the agent expires a client's
   * registrations once its heartbeats stop. Resolves at once.
   */
  close(): Promise<void>
}

class MeshClient implements Client {
  readonly #node: DiscoveryNode
  readonly #registrations = new Map<string, Registration>()
  readonly #sets = new Set<ServiceSet>()
  #stopClaiming: (() => void) | undefined

  constructor(node: DiscoveryNode) {
    this.#node = node
  }

  register(name: string, addr: string): Promise<void> {
    return this.registerWithAttributes(name, addr, null)
  }

  async registerWithAttributes(
    name: string,
    addr: string,
    attributes?: Record<string, string> | null,
  ): Promise<void> {
    await this.#register(name, addr, attributes)
  }

  async registerAndStandby(
    name: string,
    addr: string,
    attributes?: Record<string, string> | null,
    options: { signal?: AbortSignal } = {},
  ): Promise<Standby> {
    const registration = await this.#register(name, addr, attributes)
    const key = registration.handle.key
    const signals = [registration.withdrawn.signal, options.signal].filter(
      (s): s is AbortSignal => s !== undefined,
    )
    const elected = waitUntil(
      this.#node,
      (instance) => instance.service === name,
      () => {
        const leader = leaderOn(this.#node, this.#node.lookup(name))
        return leader?.key === key ? toService(leader) : undefined
      },
      { signal: AbortSignal.any(signals) },
    ) as Promise<Service>
    elected.catch(() => undefined) // never an unhandled rejection if the caller ignores it
    return { elected }
  }

  async registerWithSet(
    name: string,
    addr: string,
    attributes?: Record<string, string> | null,
  ): Promise<ServiceSet> {
    const registration = await this.#register(name, addr, attributes)
    return this.#track(
      new MeshServiceSet(this.#node, name, {
        addr: registration.addr,
        key: registration.handle.key,
      }),
    )
  }

  async unregister(name: string, addr: string): Promise<void> {
    requireNonEmptyString('name', name)
    const expanded = expandAddr(requireNonEmptyString('addr', addr), this.#node.advertisedHost())
    const id = registrationId(name, expanded)
    const registration = this.#registrations.get(id)
    if (registration === undefined) throw new UnknownRegistrationError(name, expanded)
    this.#registrations.delete(id)
    registration.withdrawn.abort(
      new UnknownRegistrationError(name, expanded, 'unregistered before it became leader'),
    )
    await registration.handle.deregister()
  }

  async unregisterAll(): Promise<void> {
    const all = [...this.#registrations.values()]
    await Promise.all(
      all.map((registration) => this.unregister(registration.name, registration.addr)),
    )
  }

  async services(name: string, timeoutMs: number = DEFAULT_TIMEOUT): Promise<Service[]> {
    requireNonEmptyString('name', name)
    requireDuration('timeout', timeoutMs)
    const set = new MeshServiceSet(this.#node, name)
    try {
      const found = await waitUntil(
        this.#node,
        (instance) => instance.service === name,
        () => {
          const services = set.services()
          return services.length > 0 ? services : undefined
        },
        { timeoutMs },
      )
      if (found === undefined) {
        throw new TimeoutError(`discover: no ${name} service within ${timeoutMs} ms`)
      }
      return found
    } finally {
      set.close()
    }
  }

  newServiceSet(name: string): ServiceSet {
    return this.#track(new MeshServiceSet(this.#node, requireNonEmptyString('name', name)))
  }

  async close(): Promise<void> {
    for (const set of this.#sets) set.close()
    this.#sets.clear()
    this.#stopClaiming?.()
    this.#stopClaiming = undefined
    for (const registration of this.#registrations.values()) {
      const { name, addr, handle } = registration
      registration.withdrawn.abort(
        new UnknownRegistrationError(name, addr, 'the client was closed before it became leader'),
      )
      const ttlMs = this.#node.lookup(name).find((i) => i.key === handle.key)?.ttlMs ?? 0
      this.#node.scheduler.setTimer(ttlMs, () => {
        handle.deregister().catch(() => undefined) // the node may have stopped meanwhile
      })
    }
    this.#registrations.clear()
  }

  async #register(
    name: string,
    addr: string,
    attributes: Record<string, string> | null | undefined,
  ): Promise<Registration> {
    requireNonEmptyString('name', name)
    const expanded = expandAddr(requireNonEmptyString('addr', addr), this.#node.advertisedHost())
    const attrs = requireStringMap('attributes', attributes)
    this.#stopClaiming ??= claimLeadership(this.#node)
    const handle = await this.#node.register({
      service: name,
      id: expanded,
      addresses: [expanded],
      metadata: attrs,
    })
    const id = registrationId(name, expanded)
    const registration = this.#registrations.get(id) ?? {
      name,
      addr: expanded,
      handle,
      withdrawn: new AbortController(),
    }
    this.#registrations.set(id, registration)
    return registration
  }

  #track(set: ServiceSet): ServiceSet {
    this.#sets.add(set)
    return set
  }
}

function registrationId(name: string, addr: string): string {
  return `${name}\n${addr}`
}

/** A discoverd Client served by `node` (discoverd `NewClient`, with the node explicit). */
export function newClient(node: DiscoveryNode): Client {
  return new MeshClient(requireNode(node))
}
