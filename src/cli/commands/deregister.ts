/** `gossip-sd deregister NAME ID`: deletes an instance the running agent registered. */
import { booleanFlag, CLIENT_FLAGS, stringFlag } from '../args.ts'
import { type Command, printJson } from '../command.ts'
import { controlRequest } from '../control-client.ts'
import { clientEndpoint } from '../endpoint.ts'

export const command: Command = {
  spec: {
    name: 'deregister',
    summary: 'Deletes an instance the running agent owns (a signed tombstone reaches every node).',
    positionals: [
      { name: 'NAME', required: true, help: 'service name' },
      { name: 'ID', required: true, help: 'instance id' },
    ],
    flags: { ...CLIENT_FLAGS },
  },
  async run(args) {
    const [service, id] = args.positionals as [string, string]
    const { removed } = await controlRequest<{ removed: boolean }>(
      clientEndpoint(stringFlag(args, 'control')),
      'POST',
      '/v1/deregister',
      { service, id },
    )
    if (booleanFlag(args, 'json')) printJson({ removed })
    else
      process.stdout.write(
        removed ? `deregistered ${service} ${id}\n` : `not registered: ${service} ${id}\n`,
      )
    return removed ? 0 : 1
  },
}
