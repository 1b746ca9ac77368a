import type { Observable } from 'rxjs';
import type { MessageType } from './message-type.ts';
import { defineOperator } from './operator.ts';
import { port } from './port.ts';

/**
 * An Observable standing as a source operator: what it pushes is emitted on `out` (under that
 * connection's capacity and policy, since an Observable cannot be slowed down), its error is this
 * operator's failure (an OperatorError, phase `stream`) and its completion this operator's end of
 * stream. Each run subscribes afresh.
 */
export function observableSource<T>(type: MessageType<T>, source: Observable<T>, name = 'ObservableSource') {
  return defineOperator({
    name,
    description: `emits what an Observable pushes (${type.name})`,
    outputs: { out: port(type) },
    pipe: () => ({ out: source }),
  });
}
