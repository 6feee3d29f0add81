/**
 * go-kit `etcd.Instancer` and `etcd.Registrar`, over any EtcdClient (the mesh client or the
 * etcd bridge). The Instancer reads the prefix, then re-reads it on every watch signal. As in
 * go-kit, a failed read (the first one included: the Instancer is still returned) publishes an
 * Event with the error and no instances; Endpointers keep their last endpoints on such an Event
 * unless they invalidate on error.
 */
import { InvalidArgumentError } from '../../../contract.ts'
import { requireString } from '../../shared/validate.ts'
import { InstanceCache } from '../cache.ts'
import type { Instancer, Registrar } from '../types.ts'
import type { EtcdClient, Service } from './client.ts'

function requireClient(client: unknown): EtcdClient {
  const c = client as Partial<EtcdClient> | null
  if (c === null || typeof c?.getEntries !== 'function' || typeof c.watchPrefix !== 'function') {
    throw new InvalidArgumentError('expected an EtcdClient')
  }
  return client as EtcdClient
}

/**
 * An Instancer over the keys under `prefix` (go-kit `etcd.NewInstancer`). It always resolves: a
 * first read that fails is its first Event's `err`, as go-kit returns the Instancer and a nil
 * error. Rejects only on arguments of the wrong type.
 */
export async function newEtcdInstancer(client: EtcdClient, prefix: string): Promise<Instancer> {
  requireClient(client)
  requireString('prefix', prefix)
  const abort = new AbortController()
  const cache = new InstanceCache(() => abort.abort())
  const read = async (): Promise<void> => {
    try {
      cache.update({ instances: await client.getEntries(prefix) })
    } catch (err) {
      fail(err)
    }
  }
  const fail = (err: unknown): void =>
    cache.update({ instances: [], err: err instanceof Error ? err : new Error(String(err)) })
  await read()
  void (async () => {
    try {
      for await (const _ of client.watchPrefix(prefix, abort.signal)) await read()
    } catch (err) {
      fail(err) // the watch itself broke: listeners learn it, never an unhandled rejection
    }
  })()
  return cache
}

/** A Registrar for one Service (go-kit `etcd.NewRegistrar`). */
export function newEtcdRegistrar(client: EtcdClient, service: Service): Registrar {
  requireClient(client)
  if (service === null || typeof service !== 'object') {
    throw new InvalidArgumentError('newEtcdRegistrar takes a Service')
  }
  const fixed: Service = { ...service }
  return {
    register: () => client.register(fixed),
    deregister: () => client.deregister(fixed),
  }
}
