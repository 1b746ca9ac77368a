// The Node flags the holots command runs with, in one home: bin/holots.js applies them (its shebang
// names them too, for Node 20, and a test keeps the two the same), and the benches and tests that start
// `node bin/holots.js` or a fragment's process pass them the same way.
//
// --initial-old-space-size=64: V8 sizes the old generation's first limit from this instead of from what
// survives the first collections. A process that moves video frames (a fragment publishing 1.4 MB
// frames, a receiver gathering them) has a small live heap and much short-lived external memory, and
// with V8's own start a process settles for its life into a state with a mark-compact every few frames
// (720p30 fragment sender 9.4-14.6 ms of CPU a frame, against 2.6-3.4 in the other state). With the
// limit set from the start, that state did not occur in any run, and the resident memory did not grow
// (docs/benchmarks.md, "Fragments over NATS"). It is a start value, not a cap: the heap still grows.
export const HOLOTS_NODE_FLAGS = ['--initial-old-space-size=64'];

/** The flags of HOLOTS_NODE_FLAGS that `execArgv` does not set (a value the user gave wins). */
export function missingNodeFlags(execArgv) {
  const named = new Set(execArgv.map((a) => a.split('=')[0]));
  return HOLOTS_NODE_FLAGS.filter((f) => !named.has(f.split('=')[0]));
}
