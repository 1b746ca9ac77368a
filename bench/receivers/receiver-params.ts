/**
 * WebRTCClientOp's parameters in the bench receivers, in one home: holots-receiver.ts starts from them (its
 * --min-kbps, --start-kbps and --max-sessions override them) and werift-alone.ts uses them as they are, so
 * werift runs with the same configuration in both.
 */
export const BENCH_RECEIVER_PARAMS = {
  min_bitrate_kbps: 1000,
  start_bitrate_kbps: 2500,
  max_sessions: 64,
  /** Generous: on a loaded 2-core machine a bench's many sessions may take a while to connect. */
  connect_timeout_ms: 30_000,
} as const;
