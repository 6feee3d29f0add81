/**
 * libp2p reports listen failures (a port in use, an address not on this host, an address no
 * transport serves) as one multi-line error with a stack per address. This turns it into the
 * one-line option error users should see: `listen: cannot listen on ADDR: REASON`.
 */
import { InvalidNodeOptionError } from './options.ts'

const LISTEN_ERRORS = new Set(['UnsupportedListenAddressesError', 'UnsupportedListenAddressError'])

/** An InvalidNodeOptionError for a libp2p listen failure; undefined for any other error. */
export function listenFailure(err: unknown): InvalidNodeOptionError | undefined {
  if (!(err instanceof Error) || !LISTEN_ERRORS.has(err.name)) return undefined
  const failures = [...err.message.matchAll(/^\s+(\/\S+): (?:[A-Za-z]*Error: )?(.*)$/gm)].map(
    ([, address, reason]) => `${address} (${reason})`,
  )
  const detail = failures.length > 0 ? failures.join('; ') : err.message.split('\n')[0]
  return new InvalidNodeOptionError('listen', `cannot listen on ${detail}`)
}
