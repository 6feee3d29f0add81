/** discoverd's records: a named address with attributes and an age, and a set update. */

/** A registered service instance (discoverd `Service`). */
export interface Service {
  /** Registration time on the owner's clock (ms): the age leader election compares. */
  readonly created: number
  readonly name: string
  readonly host: string
  readonly port: string
  /** "host:port" as registered (a port-only address is expanded by the registering node). */
  readonly addr: string
  readonly attrs: Readonly<Record<string, string>>
}

/** One member coming online (or changing) or going offline (discoverd `agent.ServiceUpdate`). */
export interface ServiceUpdate {
  readonly name: string
  readonly addr: string
  readonly online: boolean
  readonly attrs: Readonly<Record<string, string>>
  readonly created: number
}
