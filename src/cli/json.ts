/** JSON shapes of the control API and of `--json` output. Versions are bigints: sent as strings. */
import type { Instance, ServiceChange } from '../contract.ts'

export interface InstanceJson {
  key: string
  service: string
  id: string
  version: string
  addresses: string[]
  metadata: Record<string, string>
  endpoints: Instance['endpoints']
  owner: string
  createdAt: number
  ttlMs: number
  revision: { incarnation: string; counter: string }
}

export function instanceToJson(instance: Instance): InstanceJson {
  return {
    key: instance.key,
    service: instance.service,
    id: instance.id,
    version: instance.version,
    addresses: [...instance.addresses],
    metadata: { ...instance.metadata },
    endpoints: instance.endpoints,
    owner: instance.owner,
    createdAt: instance.createdAt,
    ttlMs: instance.ttlMs,
    revision: {
      incarnation: instance.revision.incarnation.toString(),
      counter: instance.revision.counter.toString(),
    },
  }
}

export type EventJson =
  | { type: 'snapshot'; instances: InstanceJson[]; at: number }
  | { type: ServiceChange['type']; instance: InstanceJson; at: number }

/** A change as one NDJSON event; `at` is the wall-clock ms it was seen. */
export function changeToJson(change: ServiceChange, at: number): EventJson {
  return { type: change.type, instance: instanceToJson(change.instance), at }
}
