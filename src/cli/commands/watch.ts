/** `gossip-sd watch [NAME]`: the current instances, then every change, until interrupted. */
import { booleanFlag, CLIENT_FLAGS, stringFlag } from '../args.ts'
import type { Command } from '../command.ts'
import { controlLines, serviceQuery } from '../control-client.ts'
import { clientEndpoint } from '../endpoint.ts'
import type { EventJson } from '../json.ts'
import { renderTable, shortPeerId } from '../table.ts'

export const command: Command = {
  spec: {
    name: 'watch',
    summary: 'Streams the instances of one service (or all): a snapshot, then every change.',
    positionals: [{ name: 'NAME', required: false, help: 'service name' }],
    flags: { ...CLIENT_FLAGS },
  },
  async run(args) {
    const json = booleanFlag(args, 'json')
    const lines = controlLines(
      clientEndpoint(stringFlag(args, 'control')),
      `/v1/watch${serviceQuery(args.positionals[0])}`,
    )
    for await (const line of lines)
      process.stdout.write(json ? `${line}\n` : describe(JSON.parse(line)))
    return 0
  },
}

function describe(event: EventJson): string {
  if (event.type === 'snapshot') return `${renderTable(event.instances, event.at)}\n`
  const { instance } = event
  return `${new Date(event.at).toISOString()} ${event.type} ${instance.service} ${instance.id} ${instance.addresses.join(',')} ${shortPeerId(instance.owner)}\n`
}
