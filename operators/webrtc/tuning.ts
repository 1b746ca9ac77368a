/**
 * The receive path's fixed numbers, in one home. What a user may want to change is a parameter
 * (params.ts, with its default there); these are the values the code is built around.
 */
export const RECEIVE_TUNING = {
  /** The seed's `/offer` waits for every candidate, at most this long (non-trickle answer). */
  gatherCompleteMs: 10_000,
  /** WHIP answers with the host candidates gathered by then (on a LAN that is all of them). */
  gatherHostMs: 300,
  /** A sequence gap is given up early when this many packets wait behind it (a 1080p keyframe is ~120). */
  maxBufferedPackets: 512,
  /** Compressed frames that may wait for the decoder before the stream counts as fallen behind. */
  maxDecodeQueue: 8,
  /** Keyframe requests (PLI) of one stream: never closer together than this... */
  keyframeMinIntervalMs: 300,
  /** ...repeated this often while still waiting (a PLI or the keyframe itself can be lost)... */
  keyframeRetryMs: 1000,
  /**
   * ...and, while requests keep coming, each one waits twice as long as the last, up to this: under
   * overload every keyframe costs more to send and decode, so asking faster would only deepen the hole.
   */
  keyframeMaxIntervalMs: 4000,
  /** Requests older than this no longer lengthen the interval: a stream that stayed healthy starts fresh. */
  keyframeBackoffMemoryMs: 10_000,
  /** How many ended sessions (id and reason) /stats keeps. */
  endedSessionsKept: 32,
  /** The window of the fps figure in /stats. */
  fpsWindowMs: 1000,
} as const;
