import { OperatorRegistry } from '../framework/index.ts';
import { PingRxOp, PingTxOp } from './ping/index.ts';

export { PingRxOp, PingTxOp };

/** Every operator that ships with holots, by the name YAML uses. */
export function builtinRegistry(): OperatorRegistry {
  return new OperatorRegistry().register(PingTxOp, PingRxOp);
}
