/** The mesh runs the shared Instancer/Registrar compliance suite through both of its faces. */
import { etcd, newInstancer, newRegistrar } from '../../src/compat/gokit/index.ts'
import { instancerRegistrarCompliance } from '../compliance/instancer-registrar.ts'
import { pair, startCluster } from './helpers.ts'

instancerRegistrarCompliance('mesh (newInstancer / newRegistrar)', async () => {
  const cluster = await startCluster(2)
  const [server, client] = pair(cluster.nodes)
  let id = 0
  return {
    instancer: newInstancer(client, 'orders'),
    registrar: (instance) =>
      newRegistrar(server, { service: 'orders', id: `i${id++}`, addresses: [instance] }),
    settle: () => cluster.settle(),
    teardown: () => cluster.stop(),
  }
})

instancerRegistrarCompliance('sd/etcd over the mesh client', async () => {
  const cluster = await startCluster(2)
  const [server, client] = pair(cluster.nodes)
  const serverClient = etcd.newMeshClient(server)
  return {
    instancer: await etcd.newEtcdInstancer(etcd.newMeshClient(client), '/services/orders/'),
    registrar: (instance) =>
      etcd.newEtcdRegistrar(serverClient, { key: `/services/orders/${instance}`, value: instance }),
    settle: () => cluster.settle(),
    teardown: () => cluster.stop(),
  }
})
