/** Types for node-flags.js (plain JavaScript, so bin/holots.js can read it before tsx is registered). */
export declare const HOLOTS_NODE_FLAGS: readonly string[];
export declare function missingNodeFlags(execArgv: readonly string[]): string[];
