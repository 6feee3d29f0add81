/**
 * discoverd Service <-> mesh instance: a registration (name, addr, attrs) is the instance
 * (service = name, id = addr, addresses = [addr], metadata = attrs); `created` is the
 * instance's registration time, the age that oldest-wins election uses.
 */
import type { Instance } from '../../contract.ts'
import type { Service, ServiceUpdate } from './types.ts'

/** Expands a port-only address (":9099") with the node's advertised host; others pass through. */
export function expandAddr(addr: string, host: string): string {
  if (!addr.startsWith(':')) return addr
  return host.includes(':') ? `[${host}]${addr}` : `${host}${addr}`
}

/** Splits "host:port" (or "[v6]:port"); an address without a port has port "". */
export function splitAddr(addr: string): { host: string; port: string } {
  const colon = addr.lastIndexOf(':')
  if (colon < 0 || addr.endsWith(']')) return { host: addr, port: '' }
  const host = addr.slice(0, colon)
  return {
    host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host,
    port: addr.slice(colon + 1),
  }
}

export function toService(instance: Instance): Service {
  const addr = instance.addresses[0] ?? instance.id
  return {
    created: instance.createdAt,
    name: instance.service,
    ...splitAddr(addr),
    addr,
    attrs: { ...instance.metadata },
  }
}

export function toUpdate(service: Service, online: boolean): ServiceUpdate {
  return {
    name: service.name,
    addr: service.addr,
    online,
    attrs: service.attrs,
    created: service.created,
  }
}
