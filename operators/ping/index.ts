export { PingTxOp } from './ping-tx.ts';
export { PingRxOp } from './ping-rx.ts';
