/** discoverd's errors as named classes. */
import { GossipSdError } from '../../contract.ts'

/** unregister() of a name and address this client did not register (discoverd `ErrUnknownRegistration`). */
export class UnknownRegistrationError extends GossipSdError<'ERR_UNKNOWN_REGISTRATION'> {
  constructor(name: string, addr: string, detail = 'unknown registration') {
    super('ERR_UNKNOWN_REGISTRATION', `discover: ${detail}: ${name} at ${addr}`)
  }
}
