/**
 * go-micro's registry helpers: Copy, CopyService, Merge, Remove. All return new values and
 * never alias their inputs. Services are matched by (name, version) and nodes by id.
 *
 * Deviation: go-micro's Merge appends an extra copy of every old service for each non-matching
 * new one (a known quirk); here Merge yields each (name, version) once.
 */
import type { Node, Service } from './types.ts'

/** A deep copy of one service (go-micro `CopyService`). */
export function copyService(service: Service): Service {
  return structuredClone(service)
}

/** Deep copies of a list of services (go-micro `Copy`). */
export function copy(services: readonly Service[]): Service[] {
  return services.map(copyService)
}

function sameService(a: Service, b: Service): boolean {
  return a.name === b.name && a.version === b.version
}

/** New nodes first, then the old nodes whose id the new list does not have. */
function addNodes(old: readonly Node[], added: readonly Node[]): Node[] {
  const ids = new Set(added.map((n) => n.id))
  return [...added, ...old.filter((n) => !ids.has(n.id))].map((n) => structuredClone(n))
}

/**
 * Merges `nlist` into `olist` (go-micro `Merge`): a new service whose (name, version) exists
 * has its nodes merged in (same id: the new node wins); otherwise it is appended.
 */
export function merge(olist: readonly Service[], nlist: readonly Service[]): Service[] {
  const out = copy(olist)
  for (const neu of nlist) {
    const existing = out.find((s) => sameService(s, neu))
    if (existing === undefined) out.push(copyService(neu))
    else existing.nodes = addNodes(existing.nodes, neu.nodes)
  }
  return out
}

/**
 * Removes the nodes of `del` from `old` (go-micro `Remove`), matching services by
 * (name, version) and nodes by id; a service left without nodes is dropped.
 */
export function remove(old: readonly Service[], del: readonly Service[]): Service[] {
  const out: Service[] = []
  for (const service of old) {
    const removed = new Set(
      del.filter((d) => sameService(d, service)).flatMap((d) => d.nodes.map((n) => n.id)),
    )
    if (removed.size === 0) {
      out.push(copyService(service))
      continue
    }
    const nodes = service.nodes.filter((n) => !removed.has(n.id))
    if (nodes.length > 0) out.push({ ...copyService(service), nodes: structuredClone(nodes) })
  }
  return out
}
