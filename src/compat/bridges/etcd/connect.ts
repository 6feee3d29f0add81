/**
 * One way to build the etcd3 client for the bridge and the go-kit client: every unary call
 * bounded by a deadline, and no retries or circuit breaker inside the client (the bridge retries
 * with its own backoff, and a breaker would hold a restarted etcd closed for seconds); watches
 * reconnect after 100 ms, doubling to 2 s.
 */
import { ExponentialBackoff, type IBackoff, noop } from 'cockatiel'
import { Etcd3 } from 'etcd3'

export function connectEtcd(endpoints: readonly string[], callTimeoutMs: number): Etcd3 {
  return new Etcd3({
    hosts: [...endpoints],
    dialTimeout: callTimeoutMs,
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: Date.now() + callTimeoutMs },
    faultHandling: {
      host: () => noop,
      global: noop,
      // etcd3 calls next() on this to get its first delay (a backoff factory), though its type
      // names a backoff. Capped at 2 s: a closed client's pending re-watch timer ends soon.
      watchBackoff: new ExponentialBackoff({
        initialDelay: 100,
        maxDelay: 2000,
      }) as unknown as IBackoff<unknown>,
    },
  })
}
