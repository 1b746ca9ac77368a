export { ThrottleOp } from './throttle.ts';
