/**
 * Consul as Go code reads and writes it, for the bridge tests, over plain HTTP:
 * - `goRegistrar` does what go-kit's sd/consul Registrar does with consul/api: Register sends an
 *   AgentServiceRegistration (ID, Name, Address, Port, Meta, a TTL check registered passing) to
 *   /v1/agent/service/register, Deregister sends its ID to /v1/agent/service/deregister.
 * - `goInstancer` is go-kit's sd/consul Instancer: `Health().Service(name, "", passingOnly=true,
 *   {WaitIndex})` in a loop, each entry read as "Service.Address (or Node.Address):Port"; an
 *   index lower than the last one starts over from 0.
 */
import { InstanceCache, type Registrar } from '../../src/compat/gokit/index.ts'

interface HealthEntry {
  Node: { Address: string }
  Service: { Address: string; Port: number; ID: string; Meta: Record<string, string> }
}

async function put(url: string, body?: unknown): Promise<void> {
  const res = await fetch(url, {
    method: 'PUT',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  if (!res.ok) throw new Error(`PUT ${url}: ${res.status} ${await res.text()}`)
}

/** A Go Registrar for `service` announcing `instance` ("host:port"). */
export function goRegistrar(
  consul: string,
  service: string,
  instance: string,
  meta: Record<string, string> = {},
): Registrar & { readonly id: string } {
  const colon = instance.lastIndexOf(':')
  const id = `${service}-${instance}`
  return {
    id,
    register: () =>
      put(`${consul}/v1/agent/service/register`, {
        ID: id,
        Name: service,
        Address: instance.slice(0, colon),
        Port: Number(instance.slice(colon + 1)),
        Meta: meta,
        Check: { TTL: '30s', Status: 'passing' },
      }),
    deregister: () => put(`${consul}/v1/agent/service/deregister/${encodeURIComponent(id)}`),
  }
}

/** What a Go health query with passingOnly returns, with its index. */
export async function goHealth(
  consul: string,
  service: string,
  index = 0,
  signal?: AbortSignal,
): Promise<{ instances: string[]; entries: HealthEntry[]; index: number }> {
  const res = await fetch(
    `${consul}/v1/health/service/${encodeURIComponent(service)}?passing=1&index=${index}&wait=10s`,
    signal === undefined ? {} : { signal },
  )
  if (!res.ok) throw new Error(`health ${service}: ${res.status}`)
  const entries = (await res.json()) as HealthEntry[]
  return {
    entries,
    instances: entries.map(
      (e) => `${e.Service.Address === '' ? e.Node.Address : e.Service.Address}:${e.Service.Port}`,
    ),
    index: Number(res.headers.get('x-consul-index') ?? '0'),
  }
}

/** go-kit's sd/consul Instancer for `service`. */
export function goInstancer(consul: string, service: string): InstanceCache {
  const stop = new AbortController()
  const cache = new InstanceCache(() => stop.abort())
  void (async () => {
    let last = 0
    while (!stop.signal.aborted) {
      try {
        const { instances, index } = await goHealth(consul, service, last, stop.signal)
        last = index < last ? 0 : index
        cache.update({ instances })
      } catch (err) {
        if (stop.signal.aborted) return
        cache.update({ instances: [], err: err as Error })
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
  })()
  return cache
}
