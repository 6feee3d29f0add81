/** Instance values for the pure-rule tests, without signing anything. */
import { type Instance, instanceKey } from '../../src/membership/types.ts'

export function instance(
  fields: {
    owner?: string
    service?: string
    id?: string
    createdAt?: number
    ttlMs?: number
    leaderTerm?: number
  },
  incarnation = 1n,
): Instance {
  const owner = fields.owner ?? 'peer-a'
  const service = fields.service ?? 'svc'
  const id = fields.id ?? 'i'
  return {
    key: instanceKey(owner, service, id),
    service,
    id,
    version: '',
    addresses: [],
    metadata: {},
    endpoints: [],
    owner,
    createdAt: fields.createdAt ?? 1000,
    ttlMs: fields.ttlMs ?? 1500,
    leaderTerm: fields.leaderTerm ?? 0,
    revision: { incarnation, counter: 1n },
  }
}
