/** biregister's failures as named errors. */
import { GossipSdError } from '../../contract.ts'

/** The name is already registered under the prefix (etcd's create-if-absent transaction failed). */
export class NameTakenError extends GossipSdError<'ERR_NAME_TAKEN'> {
  constructor(key: string) {
    super('ERR_NAME_TAKEN', `${key} is already registered`)
  }
}
