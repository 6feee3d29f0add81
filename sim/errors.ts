/** Named errors of the simulator: thrown when a scenario or a replay file is invalid. */
import { GossipSdError } from '../src/membership/errors.ts'

/** A scenario (or a replay file) that does not describe a runnable simulation. */
export class ScenarioError extends GossipSdError<'ERR_SIM_SCENARIO'> {
  constructor(message: string) {
    super('ERR_SIM_SCENARIO', message)
  }
}
