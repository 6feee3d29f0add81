/* eslint-disable import/export */
/* eslint-disable complexity */
/* eslint-disable @typescript-eslint/no-namespace */
/* eslint-disable @typescript-eslint/no-unnecessary-boolean-literal-compare */
/* eslint-disable @typescript-eslint/no-empty-interface */
/* eslint-disable import/consistent-type-specifier-style */
/* eslint-disable @typescript-eslint/no-unused-vars */

import { decodeMessage, encodeMessage, MaxLengthError, MaxSizeError, message } from 'protons-runtime'
import { writeUint64 } from './uint64.ts'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Value {
  name: string
  type: string
  values: Value[]
}

export namespace Value {
  let _codec: Codec<Value>

  export const codec = (): Codec<Value> => {
    if (_codec == null) {
      _codec = message<Value>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.type != null && obj.type !== '')) {
          w.uint32(18)
          w.string(obj.type)
        }

        if (obj.values != null) {
          for (const value of obj.values) {
            w.uint32(26)
            Value.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          type: '',
          values: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.type = reader.string()
              break
            }
            case 3: {
              if (opts.limits?.values != null && obj.values.length === opts.limits.values) {
                throw new MaxLengthError('Decode error - map field "values" had too many elements')
              }

              obj.values.push(Value.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.values$
              }))
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      })
    }

    return _codec
  }

  export const encode = (obj: Partial<Value>): Uint8Array => {
    return encodeMessage(obj, Value.codec())
  }

  export const decode = (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Value>): Value => {
    return decodeMessage(buf, Value.codec(), opts)
  }
}

export interface Endpoint {
  name: string
  request?: Value
  response?: Value
  metadata: Map<string, string>
}

export namespace Endpoint {
  export interface Endpoint$metadataEntry {
    key: string
    value: string
  }

  export namespace Endpoint$metadataEntry {
    let _codec: Codec<Endpoint$metadataEntry>

    export const codec = (): Codec<Endpoint$metadataEntry> => {
      if (_codec == null) {
        _codec = message<Endpoint$metadataEntry>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.key != null && obj.key !== '')) {
            w.uint32(10)
            w.string(obj.key)
          }

          if ((obj.value != null && obj.value !== '')) {
            w.uint32(18)
            w.string(obj.value)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            key: '',
            value: ''
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.key = reader.string()
                break
              }
              case 2: {
                obj.value = reader.string()
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }

          return obj
        })
      }

      return _codec
    }

    export const encode = (obj: Partial<Endpoint$metadataEntry>): Uint8Array => {
      return encodeMessage(obj, Endpoint$metadataEntry.codec())
    }

    export const decode = (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Endpoint$metadataEntry>): Endpoint$metadataEntry => {
      return decodeMessage(buf, Endpoint$metadataEntry.codec(), opts)
    }
  }

  let _codec: Codec<Endpoint>

  export const codec = (): Codec<Endpoint> => {
    if (_codec == null) {
      _codec = message<Endpoint>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if (obj.request != null) {
          w.uint32(18)
          Value.codec().encode(obj.request, w)
        }

        if (obj.response != null) {
          w.uint32(26)
          Value.codec().encode(obj.response, w)
        }

        if (obj.metadata != null && obj.metadata.size !== 0) {
          for (const [key, value] of obj.metadata.entries()) {
            w.uint32(34)
            Endpoint.Endpoint$metadataEntry.codec().encode({ key, value }, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          metadata: new Map<string, string>()
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.request = Value.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.request
              })
              break
            }
            case 3: {
              obj.response = Value.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.response
              })
              break
            }
            case 4: {
              if (opts.limits?.metadata != null && obj.metadata.size === opts.limits.metadata) {
                throw new MaxSizeError('Decode error - map field "metadata" had too many elements')
              }

              const entry = Endpoint.Endpoint$metadataEntry.codec().decode(reader, reader.uint32())
              obj.metadata.set(entry.key, entry.value)
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      })
    }

    return _codec
  }

  export const encode = (obj: Partial<Endpoint>): Uint8Array => {
    return encodeMessage(obj, Endpoint.codec())
  }

  export const decode = (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Endpoint>): Endpoint => {
    return decodeMessage(buf, Endpoint.codec(), opts)
  }
}

export interface Registration {
  service: string
  serviceVersion: string
  instanceId: string
  addresses: string[]
  metadata: Map<string, string>
  endpoints: Endpoint[]
  createdAt: bigint
  ttlMs: number
  leaderTerm: bigint
}

export namespace Registration {
  export interface Registration$metadataEntry {
    key: string
    value: string
  }

  export namespace Registration$metadataEntry {
    let _codec: Codec<Registration$metadataEntry>

    export const codec = (): Codec<Registration$metadataEntry> => {
      if (_codec == null) {
        _codec = message<Registration$metadataEntry>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.key != null && obj.key !== '')) {
            w.uint32(10)
            w.string(obj.key)
          }

          if ((obj.value != null && obj.value !== '')) {
            w.uint32(18)
            w.string(obj.value)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            key: '',
            value: ''
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.key = reader.string()
                break
              }
              case 2: {
                obj.value = reader.string()
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }

          return obj
        })
      }

      return _codec
    }

    export const encode = (obj: Partial<Registration$metadataEntry>): Uint8Array => {
      return encodeMessage(obj, Registration$metadataEntry.codec())
    }

    export const decode = (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Registration$metadataEntry>): Registration$metadataEntry => {
      return decodeMessage(buf, Registration$metadataEntry.codec(), opts)
    }
  }

  let _codec: Codec<Registration>

  export const codec = (): Codec<Registration> => {
    if (_codec == null) {
      _codec = message<Registration>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.service != null && obj.service !== '')) {
          w.uint32(10)
          w.string(obj.service)
        }

        if ((obj.serviceVersion != null && obj.serviceVersion !== '')) {
          w.uint32(18)
          w.string(obj.serviceVersion)
        }

        if ((obj.instanceId != null && obj.instanceId !== '')) {
          w.uint32(26)
          w.string(obj.instanceId)
        }

        if (obj.addresses != null) {
          for (const value of obj.addresses) {
            w.uint32(34)
            w.string(value)
          }
        }

        if (obj.metadata != null && obj.metadata.size !== 0) {
          for (const [key, value] of obj.metadata.entries()) {
            w.uint32(42)
            Registration.Registration$metadataEntry.codec().encode({ key, value }, w)
          }
        }

        if (obj.endpoints != null) {
          for (const value of obj.endpoints) {
            w.uint32(50)
            Endpoint.codec().encode(value, w)
          }
        }

        if ((obj.createdAt != null && obj.createdAt !== 0n)) {
          w.uint32(56)
          writeUint64(w, obj.createdAt)
        }

        if ((obj.ttlMs != null && obj.ttlMs !== 0)) {
          w.uint32(64)
          w.uint32(obj.ttlMs)
        }

        if ((obj.leaderTerm != null && obj.leaderTerm !== 0n)) {
          w.uint32(72)
          writeUint64(w, obj.leaderTerm)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          service: '',
          serviceVersion: '',
          instanceId: '',
          addresses: [],
          metadata: new Map<string, string>(),
          endpoints: [],
          createdAt: 0n,
          ttlMs: 0,
          leaderTerm: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.service = reader.string()
              break
            }
            case 2: {
              obj.serviceVersion = reader.string()
              break
            }
            case 3: {
              obj.instanceId = reader.string()
              break
            }
            case 4: {
              if (opts.limits?.addresses != null && obj.addresses.length === opts.limits.addresses) {
                throw new MaxLengthError('Decode error - map field "addresses" had too many elements')
              }

              obj.addresses.push(reader.string())
              break
            }
            case 5: {
              if (opts.limits?.metadata != null && obj.metadata.size === opts.limits.metadata) {
                throw new MaxSizeError('Decode error - map field "metadata" had too many elements')
              }

              const entry = Registration.Registration$metadataEntry.codec().decode(reader, reader.uint32())
              obj.metadata.set(entry.key, entry.value)
              break
            }
            case 6: {
              if (opts.limits?.endpoints != null && obj.endpoints.length === opts.limits.endpoints) {
                throw new MaxLengthError('Decode error - map field "endpoints" had too many elements')
              }

              obj.endpoints.push(Endpoint.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.endpoints$
              }))
              break
            }
            case 7: {
              obj.createdAt = reader.uint64()
              break
            }
            case 8: {
              obj.ttlMs = reader.uint32()
              break
            }
            case 9: {
              obj.leaderTerm = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      })
    }

    return _codec
  }

  export const encode = (obj: Partial<Registration>): Uint8Array => {
    return encodeMessage(obj, Registration.codec())
  }

  export const decode = (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Registration>): Registration => {
    return decodeMessage(buf, Registration.codec(), opts)
  }
}

export interface Tombstone {
  service: string
  instanceId: string
  ttlMs: number
}

export namespace Tombstone {
  let _codec: Codec<Tombstone>

  export const codec = (): Codec<Tombstone> => {
    if (_codec == null) {
      _codec = message<Tombstone>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.service != null && obj.service !== '')) {
          w.uint32(10)
          w.string(obj.service)
        }

        if ((obj.instanceId != null && obj.instanceId !== '')) {
          w.uint32(18)
          w.string(obj.instanceId)
        }

        if ((obj.ttlMs != null && obj.ttlMs !== 0)) {
          w.uint32(24)
          w.uint32(obj.ttlMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          service: '',
          instanceId: '',
          ttlMs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.service = reader.string()
              break
            }
            case 2: {
              obj.instanceId = reader.string()
              break
            }
            case 3: {
              obj.ttlMs = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      })
    }

    return _codec
  }

  export const encode = (obj: Partial<Tombstone>): Uint8Array => {
    return encodeMessage(obj, Tombstone.codec())
  }

  export const decode = (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Tombstone>): Tombstone => {
    return decodeMessage(buf, Tombstone.codec(), opts)
  }
}

export interface Heartbeat {
  ownerDigest: Uint8Array
  statementCount: number
  leaseMs: number
  neighbours: Uint8Array
}

export namespace Heartbeat {
  let _codec: Codec<Heartbeat>

  export const codec = (): Codec<Heartbeat> => {
    if (_codec == null) {
      _codec = message<Heartbeat>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.ownerDigest != null && obj.ownerDigest.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.ownerDigest)
        }

        if ((obj.statementCount != null && obj.statementCount !== 0)) {
          w.uint32(16)
          w.uint32(obj.statementCount)
        }

        if ((obj.leaseMs != null && obj.leaseMs !== 0)) {
          w.uint32(24)
          w.uint32(obj.leaseMs)
        }

        if ((obj.neighbours != null && obj.neighbours.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.neighbours)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          ownerDigest: uint8ArrayAlloc(0),
          statementCount: 0,
          leaseMs: 0,
          neighbours: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.ownerDigest = reader.bytes()
              break
            }
            case 2: {
              obj.statementCount = reader.uint32()
              break
            }
            case 3: {
              obj.leaseMs = reader.uint32()
              break
            }
            case 4: {
              obj.neighbours = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      })
    }

    return _codec
  }

  export const encode = (obj: Partial<Heartbeat>): Uint8Array => {
    return encodeMessage(obj, Heartbeat.codec())
  }

  export const decode = (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Heartbeat>): Heartbeat => {
    return decodeMessage(buf, Heartbeat.codec(), opts)
  }
}

export interface StatementBody {
  schema: number
  owner: Uint8Array
  incarnation: bigint
  counter: bigint
  registration?: Registration
  tombstone?: Tombstone
  heartbeat?: Heartbeat
}

export namespace StatementBody {
  let _codec: Codec<StatementBody>

  export const codec = (): Codec<StatementBody> => {
    if (_codec == null) {
      _codec = message<StatementBody>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.schema != null && obj.schema !== 0)) {
          w.uint32(8)
          w.uint32(obj.schema)
        }

        if ((obj.owner != null && obj.owner.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.owner)
        }

        if ((obj.incarnation != null && obj.incarnation !== 0n)) {
          w.uint32(24)
          writeUint64(w, obj.incarnation)
        }

        if ((obj.counter != null && obj.counter !== 0n)) {
          w.uint32(32)
          writeUint64(w, obj.counter)
        }

        if (obj.registration != null) {
          w.uint32(42)
          Registration.codec().encode(obj.registration, w)
        }

        if (obj.tombstone != null) {
          w.uint32(50)
          Tombstone.codec().encode(obj.tombstone, w)
        }

        if (obj.heartbeat != null) {
          w.uint32(58)
          Heartbeat.codec().encode(obj.heartbeat, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          schema: 0,
          owner: uint8ArrayAlloc(0),
          incarnation: 0n,
          counter: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.schema = reader.uint32()
              break
            }
            case 2: {
              obj.owner = reader.bytes()
              break
            }
            case 3: {
              obj.incarnation = reader.uint64()
              break
            }
            case 4: {
              obj.counter = reader.uint64()
              break
            }
            case 5: {
              obj.registration = Registration.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.registration
              })
              break
            }
            case 6: {
              obj.tombstone = Tombstone.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.tombstone
              })
              break
            }
            case 7: {
              obj.heartbeat = Heartbeat.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.heartbeat
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      })
    }

    return _codec
  }

  export const encode = (obj: Partial<StatementBody>): Uint8Array => {
    return encodeMessage(obj, StatementBody.codec())
  }

  export const decode = (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StatementBody>): StatementBody => {
    return decodeMessage(buf, StatementBody.codec(), opts)
  }
}

export interface SignedStatement {
  owner: Uint8Array
  body: Uint8Array
  signature: Uint8Array
}

export namespace SignedStatement {
  let _codec: Codec<SignedStatement>

  export const codec = (): Codec<SignedStatement> => {
    if (_codec == null) {
      _codec = message<SignedStatement>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.owner != null && obj.owner.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.owner)
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.body)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          owner: uint8ArrayAlloc(0),
          body: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.owner = reader.bytes()
              break
            }
            case 2: {
              obj.body = reader.bytes()
              break
            }
            case 3: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      })
    }

    return _codec
  }

  export const encode = (obj: Partial<SignedStatement>): Uint8Array => {
    return encodeMessage(obj, SignedStatement.codec())
  }

  export const decode = (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedStatement>): SignedStatement => {
    return decodeMessage(buf, SignedStatement.codec(), opts)
  }
}

export interface Gossip {
  statement?: SignedStatement
  ageMs: number
}

export namespace Gossip {
  let _codec: Codec<Gossip>

  export const codec = (): Codec<Gossip> => {
    if (_codec == null) {
      _codec = message<Gossip>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.statement != null) {
          w.uint32(10)
          SignedStatement.codec().encode(obj.statement, w)
        }

        if ((obj.ageMs != null && obj.ageMs !== 0)) {
          w.uint32(16)
          w.uint32(obj.ageMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          ageMs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.statement = SignedStatement.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.statement
              })
              break
            }
            case 2: {
              obj.ageMs = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      })
    }

    return _codec
  }

  export const encode = (obj: Partial<Gossip>): Uint8Array => {
    return encodeMessage(obj, Gossip.codec())
  }

  export const decode = (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Gossip>): Gossip => {
    return decodeMessage(buf, Gossip.codec(), opts)
  }
}

export interface OwnerSummary {
  owner: Uint8Array
  incarnation: bigint
  heartbeatCounter: bigint
  statementsHash: Uint8Array
  maxCounter: bigint
}

export namespace OwnerSummary {
  let _codec: Codec<OwnerSummary>

  export const codec = (): Codec<OwnerSummary> => {
    if (_codec == null) {
      _codec = message<OwnerSummary>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.owner != null && obj.owner.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.owner)
        }

        if ((obj.incarnation != null && obj.incarnation !== 0n)) {
          w.uint32(16)
          writeUint64(w, obj.incarnation)
        }

        if ((obj.heartbeatCounter != null && obj.heartbeatCounter !== 0n)) {
          w.uint32(24)
          writeUint64(w, obj.heartbeatCounter)
        }

        if ((obj.statementsHash != null && obj.statementsHash.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.statementsHash)
        }

        if ((obj.maxCounter != null && obj.maxCounter !== 0n)) {
          w.uint32(40)
          writeUint64(w, obj.maxCounter)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          owner: uint8ArrayAlloc(0),
          incarnation: 0n,
          heartbeatCounter: 0n,
          statementsHash: uint8ArrayAlloc(0),
          maxCounter: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.owner = reader.bytes()
              break
            }
            case 2: {
              obj.incarnation = reader.uint64()
              break
            }
            case 3: {
              obj.heartbeatCounter = reader.uint64()
              break
            }
            case 4: {
              obj.statementsHash = reader.bytes()
              break
            }
            case 5: {
              obj.maxCounter = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      })
    }

    return _codec
  }

  export const encode = (obj: Partial<OwnerSummary>): Uint8Array => {
    return encodeMessage(obj, OwnerSummary.codec())
  }

  export const decode = (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<OwnerSummary>): OwnerSummary => {
    return decodeMessage(buf, OwnerSummary.codec(), opts)
  }
}

export interface Digest {
  owners: OwnerSummary[]
  partial: boolean
  bucketBits: number
  coveredBuckets: Uint8Array
}

export namespace Digest {
  let _codec: Codec<Digest>

  export const codec = (): Codec<Digest> => {
    if (_codec == null) {
      _codec = message<Digest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.owners != null) {
          for (const value of obj.owners) {
            w.uint32(10)
            OwnerSummary.codec().encode(value, w)
          }
        }

        if ((obj.partial != null && obj.partial !== false)) {
          w.uint32(16)
          w.bool(obj.partial)
        }

        if ((obj.bucketBits != null && obj.bucketBits !== 0)) {
          w.uint32(24)
          w.uint32(obj.bucketBits)
        }

        if ((obj.coveredBuckets != null && obj.coveredBuckets.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.coveredBuckets)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          owners: [],
          partial: false,
          bucketBits: 0,
          coveredBuckets: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.owners != null && obj.owners.length === opts.limits.owners) {
                throw new MaxLengthError('Decode error - map field "owners" had too many elements')
              }

              obj.owners.push(OwnerSummary.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.owners$
              }))
              break
            }
            case 2: {
              obj.partial = reader.bool()
              break
            }
            case 3: {
              obj.bucketBits = reader.uint32()
              break
            }
            case 4: {
              obj.coveredBuckets = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      })
    }

    return _codec
  }

  export const encode = (obj: Partial<Digest>): Uint8Array => {
    return encodeMessage(obj, Digest.codec())
  }

  export const decode = (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Digest>): Digest => {
    return decodeMessage(buf, Digest.codec(), opts)
  }
}

export interface BucketDigest {
  bits: number
  fingerprints: Uint8Array
}

export namespace BucketDigest {
  let _codec: Codec<BucketDigest>

  export const codec = (): Codec<BucketDigest> => {
    if (_codec == null) {
      _codec = message<BucketDigest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.bits != null && obj.bits !== 0)) {
          w.uint32(8)
          w.uint32(obj.bits)
        }

        if ((obj.fingerprints != null && obj.fingerprints.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.fingerprints)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          bits: 0,
          fingerprints: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.bits = reader.uint32()
              break
            }
            case 2: {
              obj.fingerprints = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      })
    }

    return _codec
  }

  export const encode = (obj: Partial<BucketDigest>): Uint8Array => {
    return encodeMessage(obj, BucketDigest.codec())
  }

  export const decode = (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BucketDigest>): BucketDigest => {
    return decodeMessage(buf, BucketDigest.codec(), opts)
  }
}

export interface Frame {
  schema: number
  gossip: Gossip[]
  digest?: Digest
  wantReply: boolean
  buckets?: BucketDigest
}

export namespace Frame {
  let _codec: Codec<Frame>

  export const codec = (): Codec<Frame> => {
    if (_codec == null) {
      _codec = message<Frame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.schema != null && obj.schema !== 0)) {
          w.uint32(8)
          w.uint32(obj.schema)
        }

        if (obj.gossip != null) {
          for (const value of obj.gossip) {
            w.uint32(18)
            Gossip.codec().encode(value, w)
          }
        }

        if (obj.digest != null) {
          w.uint32(26)
          Digest.codec().encode(obj.digest, w)
        }

        if ((obj.wantReply != null && obj.wantReply !== false)) {
          w.uint32(32)
          w.bool(obj.wantReply)
        }

        if (obj.buckets != null) {
          w.uint32(42)
          BucketDigest.codec().encode(obj.buckets, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          schema: 0,
          gossip: [],
          wantReply: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.schema = reader.uint32()
              break
            }
            case 2: {
              if (opts.limits?.gossip != null && obj.gossip.length === opts.limits.gossip) {
                throw new MaxLengthError('Decode error - map field "gossip" had too many elements')
              }

              obj.gossip.push(Gossip.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.gossip$
              }))
              break
            }
            case 3: {
              obj.digest = Digest.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.digest
              })
              break
            }
            case 4: {
              obj.wantReply = reader.bool()
              break
            }
            case 5: {
              obj.buckets = BucketDigest.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.buckets
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      })
    }

    return _codec
  }

  export const encode = (obj: Partial<Frame>): Uint8Array => {
    return encodeMessage(obj, Frame.codec())
  }

  export const decode = (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Frame>): Frame => {
    return decodeMessage(buf, Frame.codec(), opts)
  }
}
