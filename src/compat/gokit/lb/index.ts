/** go-kit `sd/lb`: balancers and retry. */
export { TimeoutError } from '../../shared/errors.ts'
export { type Balancer, NoEndpointsError, random, roundRobin } from './balancer.ts'
export {
  type RetryCallback,
  RetryError,
  type RetryOptions,
  retry,
  retryWithCallback,
} from './retry.ts'
