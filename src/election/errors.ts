/** Named errors of the election. */
import { GossipSdError } from '../contract.ts'

/** The election was closed while a caller waited on it (standby). */
export class ElectionClosedError extends GossipSdError<'ERR_CLOSED'> {
  constructor() {
    super('ERR_CLOSED', 'the election is closed')
  }
}

/** Options that cannot give the stated guarantees (a quorum of no one, drift of 50 % or more). */
export class InvalidElectionOptionsError extends GossipSdError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message)
  }
}
