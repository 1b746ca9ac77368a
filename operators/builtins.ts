import { OperatorRegistry, type AnyOperatorDefinition } from '../framework/index.ts';

/** The names of a module's exports that are operator definitions. */
type OperatorExport<M> = { [K in keyof M]: M[K] extends AnyOperatorDefinition ? K : never }[keyof M] & string;

/**
 * Every operator that ships with holots, by the name YAML uses. Each is registered by name and imported only
 * when an app names it or a command lists them all: importing them all (werift, node-av, koffi...) cost more
 * than half of every `holots` start, even for `--version` or an app of two ping operators. Each loader imports
 * the operator's own file, not its folder's index, so that it brings in nothing the operator does not need.
 */
export function builtinRegistry(): OperatorRegistry {
  const registry = new OperatorRegistry();
  // The export's name is the type's name: typed here, and checked against the definition when it loads.
  const from = <M>(load: () => Promise<M>, ...names: OperatorExport<M>[]) => {
    for (const name of names) registry.registerLazy(name, async () => (await load())[name] as AnyOperatorDefinition);
  };
  from(() => import('./ping/ping-tx.ts'), 'PingTxOp');
  from(() => import('./ping/ping-rx.ts'), 'PingRxOp');
  from(() => import('./video/test-pattern.ts'), 'TestPatternOp');
  from(() => import('./video/image-writer.ts'), 'ImageWriterOp');
  from(() => import('./stream/throttle.ts'), 'ThrottleOp');
  from(() => import('./holoviz/holoviz-op.ts'), 'HolovizOp');
  from(() => import('./web-server/web-server-op.ts'), 'WebServerOp');
  from(() => import('./webrtc/webrtc-client-op.ts'), 'WebRTCClientOp');
  from(() => import('./webrtc-server/webrtc-server-op.ts'), 'WebRTCServerOp');
  from(() => import('./recording/replayer-op.ts'), 'VideoStreamReplayerOp');
  from(() => import('./recording/recorder-op.ts'), 'VideoStreamRecorderOp');
  return registry;
}
