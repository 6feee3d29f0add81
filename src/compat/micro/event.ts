/**
 * Watch results. go-micro's `Result.Action` is a string; here the typed `EventType` is the
 * source and `action` is derived from it, so ported code that compares strings still works
 * while new code switches on `type` exhaustively.
 */
import type { ServiceChange } from '../../contract.ts'
import type { Service } from './types.ts'

/** What a go-micro watch Result reports, as go-micro's numeric `EventType`. */
export const EventType = {
  /** A new service node was registered. */
  Create: 0,
  /** A service node was deregistered or expired. */
  Delete: 1,
  /** A registered service node changed. */
  Update: 2,
} as const
export type EventType = (typeof EventType)[keyof typeof EventType]

/** go-micro's `Result.Action` strings. */
export type Action = 'create' | 'delete' | 'update'

const ACTIONS: Readonly<Record<EventType, Action>> = {
  [EventType.Create]: 'create',
  [EventType.Delete]: 'delete',
  [EventType.Update]: 'update',
}

/** go-micro's `EventType.String()`. */
export function eventTypeString(type: EventType): Action {
  return ACTIONS[type]
}

/** What Watcher.next() yields: one service carrying the node that changed. */
export interface Result {
  /** The typed kind of change. */
  readonly type: EventType
  /** `eventTypeString(type)`, kept for code ported from go-micro's `Result.Action`. */
  readonly action: Action
  readonly service: Service
}

/** go-micro's registry `Event`. */
export interface Event {
  /** The id of the node the event is about. */
  readonly id: string
  readonly type: EventType
  readonly timestamp: Date
  readonly service: Service
}

/** The EventType of a mesh change: expiry is a deletion as far as go-micro is concerned. */
export function eventTypeOf(change: ServiceChange): EventType {
  switch (change.type) {
    case 'created':
      return EventType.Create
    case 'updated':
      return EventType.Update
    case 'deleted':
    case 'expired':
      return EventType.Delete
  }
}

export function resultOf(type: EventType, service: Service): Result {
  return { type, action: eventTypeString(type), service }
}

/** The Event for a result observed at `atMs` (ms since the epoch). */
export function eventOf(result: Result, atMs: number): Event {
  return {
    id: result.service.nodes[0]?.id ?? result.service.name,
    type: result.type,
    timestamp: new Date(atMs),
    service: result.service,
  }
}
