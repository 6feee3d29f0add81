/** `gossip-sd leader NAME`: the service's leader (its oldest live instance) and its fencing term. */
import { booleanFlag, CLIENT_FLAGS, stringFlag } from '../args.ts'
import { type Command, printJson } from '../command.ts'
import { controlRequest, serviceQuery } from '../control-client.ts'
import { clientEndpoint } from '../endpoint.ts'
import type { InstanceJson } from '../json.ts'
import { shortPeerId } from '../table.ts'

export const command: Command = {
  spec: {
    name: 'leader',
    summary: 'Shows the leader of a service: its oldest live instance, as this agent sees it.',
    positionals: [{ name: 'NAME', required: true, help: 'service name' }],
    flags: { ...CLIENT_FLAGS },
  },
  async run(args) {
    const { leader, term } = await controlRequest<{
      leader: InstanceJson | null
      term: number | null
    }>(
      clientEndpoint(stringFlag(args, 'control')),
      'GET',
      `/v1/leader${serviceQuery(args.positionals[0])}`,
    )
    if (booleanFlag(args, 'json')) printJson({ leader, term })
    else if (leader === null) process.stdout.write(`no live instance of ${args.positionals[0]}\n`)
    else
      process.stdout.write(
        `${leader.service} ${leader.id} ${leader.addresses.join(',')} owner ${shortPeerId(leader.owner)} term ${term}\n`,
      )
    return leader === null ? 1 : 0
  },
}
