/** `gossip-sd register NAME=ADDRESS`: registers an instance owned by the running agent. */
import { booleanFlag, CLIENT_FLAGS, integerFlag, listFlag, splitPair, stringFlag } from '../args.ts'
import { type Command, printJson } from '../command.ts'
import { controlRequest } from '../control-client.ts'
import { clientEndpoint } from '../endpoint.ts'
import type { InstanceJson } from '../json.ts'

export const command: Command = {
  spec: {
    name: 'register',
    summary: 'Registers a service instance with a running agent (the agent owns and refreshes it).',
    positionals: [{ name: 'NAME=ADDRESS', required: true, help: 'service name and address' }],
    flags: {
      id: { type: 'string', placeholder: 'ID', help: 'instance id (default: the address)' },
      version: { type: 'string', placeholder: 'VERSION', help: 'service version' },
      meta: { type: 'string', multiple: true, placeholder: 'KEY=VALUE', help: 'metadata entry' },
      ttl: { type: 'string', placeholder: 'MS', help: 'TTL in ms (default: the agent preset)' },
      ...CLIENT_FLAGS,
    },
  },
  async run(args) {
    const [service, address] = splitPair(args.positionals[0] as string, 'NAME=ADDRESS')
    const ttlMs = integerFlag(args, 'ttl')
    const spec = {
      service,
      id: stringFlag(args, 'id') ?? address,
      addresses: [address],
      version: stringFlag(args, 'version') ?? '',
      metadata: Object.fromEntries(listFlag(args, 'meta').map((m) => splitPair(m, '--meta'))),
      ...(ttlMs === undefined ? {} : { ttlMs }),
    }
    const { instance } = await controlRequest<{ instance: InstanceJson }>(
      clientEndpoint(stringFlag(args, 'control')),
      'POST',
      '/v1/register',
      spec,
    )
    if (booleanFlag(args, 'json')) printJson(instance)
    else process.stdout.write(`registered ${instance.service} ${instance.id}\n`)
    return 0
  },
}
