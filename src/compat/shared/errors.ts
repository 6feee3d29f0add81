/** Named errors more than one compat face raises. */
import { GossipSdError } from '../../contract.ts'

/** An operation bounded by a timeout did not finish in time. */
export class TimeoutError extends GossipSdError<'ERR_TIMEOUT'> {
  constructor(message: string) {
    super('ERR_TIMEOUT', message)
  }
}
