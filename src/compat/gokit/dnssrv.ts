/**
 * go-kit `sd/dnssrv`: an Instancer over DNS SRV records, re-resolved every `ttl`. Each record
 * yields the instance "target:port". A failed lookup, or a record with port 0 (PortZeroError),
 * publishes an Event with the error and no instances, as go-kit does (the Endpointer keeps its
 * last endpoints unless it invalidates on error). This pairs with the agent's DNS SRV
 * responder, or any DNS server.
 */
import { promises as dns } from 'node:dns'
import {
  GossipSdError,
  InvalidArgumentError,
  type Scheduler,
  systemScheduler,
} from '../../contract.ts'
import { requireDuration, requireFunction, requireNonEmptyString } from '../shared/validate.ts'
import { InstanceCache } from './cache.ts'
import type { Instancer } from './types.ts'

/** One SRV answer: what `dns.promises.resolveSrv` returns, reduced to what is used. */
export interface SrvRecord {
  readonly name: string
  readonly port: number
}

/** Resolves SRV records for a name (go-kit `dnssrv.Lookup`). */
export type SrvLookup = (name: string) => Promise<readonly SrvRecord[]>

/** Options of the DNS SRV Instancer. */
export interface DnsSrvOptions {
  /** @default dns.promises.resolveSrv (the system resolver) */
  lookup?: SrvLookup
  /** Clock for the refresh period. @default systemScheduler */
  scheduler?: Scheduler
}

/** The resolver returned an SRV record with port 0 (go-kit `dnssrv.ErrPortZero`). */
export class PortZeroError extends GossipSdError<'ERR_PORT_ZERO'> {
  constructor() {
    super('ERR_PORT_ZERO', 'resolver returned SRV record with port 0')
  }
}

function instanceOf(record: SrvRecord): string {
  if (record.port === 0) throw new PortZeroError()
  return record.name.includes(':')
    ? `[${record.name}]:${record.port}`
    : `${record.name}:${record.port}`
}

/**
 * Resolves `name` now, publishes the result, then again every `ttlMs` until stop()
 * (go-kit `dnssrv.NewInstancer` / `NewInstancerDetailed`).
 */
export async function newDnsSrvInstancer(
  name: string,
  ttlMs: number,
  options: DnsSrvOptions = {},
): Promise<Instancer> {
  requireNonEmptyString('name', name)
  if (requireDuration('ttl', ttlMs) === 0) throw new InvalidArgumentError('ttl must be positive')
  const lookup = requireFunction<SrvLookup>('lookup', options.lookup ?? dns.resolveSrv)
  const scheduler = options.scheduler ?? systemScheduler
  let cancel = (): void => undefined
  let stopped = false
  const cache = new InstanceCache(() => {
    stopped = true
    cancel()
  })
  const resolve = async (): Promise<void> => {
    try {
      cache.update({ instances: (await lookup(name)).map(instanceOf) })
    } catch (err) {
      cache.update({ instances: [], err: err instanceof Error ? err : new Error(String(err)) })
    }
  }
  const schedule = (): void => {
    if (stopped) return
    cancel = scheduler.setTimer(ttlMs, () => {
      void resolve().then(schedule)
    })
  }
  await resolve()
  schedule()
  return cache
}
