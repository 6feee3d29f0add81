/** `gossip-sd list [NAME]`: the live instances as the agent sees them. */
import { booleanFlag, CLIENT_FLAGS, stringFlag } from '../args.ts'
import { type Command, printJson } from '../command.ts'
import { controlRequest, serviceQuery } from '../control-client.ts'
import { clientEndpoint } from '../endpoint.ts'
import type { InstanceJson } from '../json.ts'
import { renderTable } from '../table.ts'

export const command: Command = {
  spec: {
    name: 'list',
    summary: 'Lists live instances (of one service, or all).',
    positionals: [{ name: 'NAME', required: false, help: 'service name' }],
    flags: { ...CLIENT_FLAGS },
  },
  async run(args) {
    const { instances } = await controlRequest<{ instances: InstanceJson[] }>(
      clientEndpoint(stringFlag(args, 'control')),
      'GET',
      `/v1/services${serviceQuery(args.positionals[0])}`,
    )
    if (booleanFlag(args, 'json')) printJson(instances)
    else process.stdout.write(`${renderTable(instances, Date.now())}\n`)
    return 0
  },
}
