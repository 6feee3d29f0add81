/**
 * go-micro's Registry, served by a discovery node. The mesh is to us what mDNS was to
 * go-micro's default registry: no server, every process a peer. There is no DefaultRegistry:
 * newRegistry takes the node explicitly.
 */
import {
  type DiscoveryNode,
  type InstanceSpec,
  InvalidArgumentError,
  instanceKey,
} from '../../contract.ts'
import { withTimeout } from '../shared/time.ts'
import { requireDuration, requireNode, requireNonEmptyString } from '../shared/validate.ts'
import {
  instancesToServices,
  instanceToService,
  requireService,
  sameService,
  serviceToSpecs,
  specToService,
} from './convert.ts'
import { NotFoundError } from './errors.ts'
import {
  applyOptions,
  defaultOptions,
  type Options,
  type RegisterOptions,
  type WatchOptions,
} from './options.ts'
import type { Service } from './types.ts'
import { MeshWatcher, type Watcher } from './watcher.ts'

/** go-micro's `registry.Registry` over a discovery node. */
export interface Registry {
  /** Applies options over the current ones (go-micro `Init`). */
  init(options?: Partial<Options>): void
  /** A copy of the current options. */
  options(): Options
  /** Registers every node of the service; resolves once they are pushed to the cluster. */
  register(service: Service, options?: RegisterOptions): Promise<void>
  /** Deregisters every node of the service that this node registered. */
  deregister(service: Service): Promise<void>
  /** One Service per version of `name`; rejects with NotFoundError when it has no node. */
  getService(name: string): Promise<Service[]>
  /** Every service, by name only (go-micro: "Only returns service names"). */
  listServices(): Promise<Service[]>
  /** Watches one service or all of them. */
  watch(options?: WatchOptions): Watcher
  /** The implementation's name: "mesh". */
  toString(): string
}

class MeshRegistry implements Registry {
  readonly #node: DiscoveryNode
  #options: Options

  constructor(node: DiscoveryNode, options: Partial<Options> | undefined) {
    this.#node = node
    this.#options = applyOptions(defaultOptions(), options)
  }

  init(options?: Partial<Options>): void {
    this.#options = applyOptions(this.#options, options)
  }

  options(): Options {
    return applyOptions(this.#options, undefined)
  }

  async register(service: Service, options: RegisterOptions = {}): Promise<void> {
    const checked = requireNodes(requireService(service))
    const ttl = options?.ttl === undefined ? undefined : requireDuration('ttl', options.ttl)
    // go-micro's etcd registry hashes each node and skips one registered unchanged (servers
    // re-register every RegisterInterval): no write, so watchers see no update.
    const specs = serviceToSpecs(checked, ttl).filter((spec) => !this.#registeredAs(spec))
    await this.#bounded(
      `register ${checked.name}`,
      Promise.all(specs.map((spec) => this.#node.register(spec))),
    )
  }

  async deregister(service: Service): Promise<void> {
    const checked = requireNodes(requireService(service))
    const keys = checked.nodes.map((n) => instanceKey(this.#node.peerId, checked.name, n.id))
    await this.#bounded(
      `deregister ${checked.name}`,
      Promise.all(keys.map((key) => this.#node.deregister(key))),
    )
  }

  async getService(name: string): Promise<Service[]> {
    requireNonEmptyString('service name', name)
    const services = instancesToServices(this.#node.lookup(name))
    if (services.length === 0) throw new NotFoundError(name)
    return services
  }

  async listServices(): Promise<Service[]> {
    const names = [...new Set(this.#node.services().map((i) => i.service))].sort()
    return names.map((name) => ({ name, version: '', metadata: {}, endpoints: [], nodes: [] }))
  }

  watch(options: WatchOptions = {}): Watcher {
    const service = options?.service
    if (service !== undefined) requireNonEmptyString('watch service', service)
    return new MeshWatcher(this.#node, service)
  }

  toString(): string {
    return 'mesh'
  }

  /** True when this node already holds `spec` as registered (the TTL aside, as go-micro's hash). */
  #registeredAs(spec: InstanceSpec): boolean {
    const key = instanceKey(this.#node.peerId, spec.service, spec.id)
    const held = this.#node.lookup(spec.service).find((i) => i.key === key)
    return held !== undefined && sameService(instanceToService(held), specToService(spec))
  }

  #bounded<T>(what: string, work: Promise<T>): Promise<T> {
    const { timeout } = this.#options
    return timeout > 0 ? withTimeout(this.#node.scheduler, timeout, what, work) : work
  }
}

/** go-micro rejects a Service without nodes ("Require at least one node"). */
function requireNodes(service: Service): Service {
  if (service.nodes.length === 0) throw new InvalidArgumentError('require at least one node')
  return service
}

/** A go-micro Registry served by `node` (go-micro `NewRegistry`, with the node explicit). */
export function newRegistry(node: DiscoveryNode, options?: Partial<Options>): Registry {
  return new MeshRegistry(requireNode(node), options)
}
