/** go-micro's registry errors, as named classes (match with instanceof, never by message). */
import { GossipSdError } from '../../contract.ts'

/** getService found no instance of the service (go-micro `ErrNotFound`). */
export class NotFoundError extends GossipSdError<'ERR_NOT_FOUND'> {
  constructor(service: string) {
    super('ERR_NOT_FOUND', `service not found: ${service}`)
  }
}

/** next() on a stopped watcher (go-micro `ErrWatcherStopped`). */
export class WatcherStoppedError extends GossipSdError<'ERR_WATCHER_STOPPED'> {
  constructor() {
    super('ERR_WATCHER_STOPPED', 'watcher stopped')
  }
}
