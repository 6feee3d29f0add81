/**
 * The shared Instancer/Registrar compliance suite, run through a bridge in both directions:
 * a Go-style Registrar writes the store and a mesh Instancer reads it through the bridge, and a
 * mesh Registrar writes the mesh and a Go-style Instancer reads the store the bridge wrote.
 */

import { createBridge } from '../../src/compat/bridges/core/bridge.ts'
import type { StoreBackend } from '../../src/compat/bridges/core/store.ts'
import {
  type InstanceCache,
  type Instancer,
  newInstancer,
  newRegistrar,
  type Registrar,
} from '../../src/compat/gokit/index.ts'
import type { Mesh } from '../../src/membership/index.ts'
import { instancerRegistrarCompliance } from '../compliance/instancer-registrar.ts'
import { meshWake, sorted, startRealTimeMesh, until, type Wake } from './helpers.ts'

/** The Go side of one store, for service "orders". */
export interface GoSide {
  readonly backend: StoreBackend
  /** A Registrar writing the store as the Go library does. */
  registrar(instance: string): Registrar
  /** An Instancer reading the store as the Go library does. */
  instancer(): Promise<InstanceCache>
  /** What that Instancer would read right now. */
  entries(): Promise<string[]>
  close(): Promise<void>
}

function addresses(node: Mesh): string {
  return JSON.stringify(sorted(node.lookup('orders').flatMap((i) => i.addresses)))
}

/** Awaits two nodes seeing the same addresses of "orders". */
function sameView(a: Mesh, b: Mesh, what: string): Promise<void> {
  return until(() => addresses(a) === addresses(b), [meshWake(a, b)], 15_000, what)
}

export function bridgeCompliance(store: string, goSide: () => Promise<GoSide>): void {
  instancerRegistrarCompliance(`${store}: Go Registrar → bridge → mesh Instancer`, async () => {
    const go = await goSide()
    const mesh = await startRealTimeMesh(2)
    const [bridgeNode, reader] = mesh.nodes as [Mesh, Mesh]
    const bridge = createBridge(bridgeNode, { backend: go.backend })
    return {
      instancer: newInstancer(reader, 'orders'),
      registrar: (instance) => go.registrar(instance),
      settle: async () => {
        await bridge.synced()
        await sameView(reader, bridgeNode, 'the reader sees what the bridge imported')
      },
      teardown: async () => {
        await bridge.close()
        await go.close()
        await mesh.stop()
      },
    }
  })

  instancerRegistrarCompliance(`${store}: mesh Registrar → bridge → Go Instancer`, async () => {
    const go = await goSide()
    const mesh = await startRealTimeMesh(2)
    const [bridgeNode, writer] = mesh.nodes as [Mesh, Mesh]
    const bridge = createBridge(bridgeNode, { backend: go.backend })
    const goInstancer = await go.instancer()
    let stopped = false
    const instancer: Instancer = {
      register: (listener) => goInstancer.register(listener),
      deregister: (listener) => goInstancer.deregister(listener),
      stop: () => {
        stopped = true
        goInstancer.stop()
      },
    }
    let id = 0
    return {
      instancer,
      registrar: (instance) =>
        newRegistrar(writer, { service: 'orders', id: `i${id++}`, addresses: [instance] }),
      settle: async () => {
        await sameView(bridgeNode, writer, 'the bridge node sees the writer')
        await bridge.synced()
        if (stopped) return // a stopped Instancer reads nothing more
        const wake: Wake = (callback) => {
          const listener = (): void => callback()
          goInstancer.register(listener)
          return () => goInstancer.deregister(listener)
        }
        await until(
          async () =>
            JSON.stringify(goInstancer.state.instances) ===
            JSON.stringify(sorted(await go.entries())),
          [wake],
          15_000,
          'the Go Instancer has read what the bridge wrote',
        )
      },
      teardown: async () => {
        goInstancer.stop()
        await bridge.close()
        await go.close()
        await mesh.stop()
      },
    }
  })
}
