/**
 * biregister over a gossip-sd node: a cached, leader-electing Watcher of an etcd-style prefix,
 * and a Register that also keeps this process registered under it. Channels become async
 * iterators and a Promise; etcd server lists become an explicit node.
 *
 * @module gossip-sd/compat/biregister
 */
export { NameTakenError } from './errors.ts'
export { newRegister, newRegisterNoName, type Register } from './register.ts'
export { type Change, ChangeOp, type Leader } from './types.ts'
export { DEFAULT_CHAN_SIZE, newWatcher, type Watcher } from './watcher.ts'
