import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { IceServerSchema } from '../messages/index.ts';
import { CODEC_NAMES } from './codecs.ts';

/** WebRTCClientOp's parameters, snake_case as in Holoscan YAML. */
export const WebRTCClientParams = z.object({
  ice_servers: z.array(IceServerSchema).default([])
    .describe('STUN/TURN servers for the server\'s peer connections and the page\'s (GET /config): URLs, or {urls, username, credential} for TURN with credentials; none by default: host candidates serve LAN and loopback'),
  additional_host_addresses: z.array(z.string()).default(['127.0.0.1'])
    .describe('extra host candidate addresses; 127.0.0.1 makes loopback peers work (werift skips loopback otherwise)'),
  codecs: z.array(z.enum(CODEC_NAMES)).min(1).default([...CODEC_NAMES])
    .refine((c) => new Set(c).size === c.length, 'codecs are listed twice').describe('video codecs to accept, in order of preference'),
  output_format: z.enum(['yuv420p', 'rgba']).default('yuv420p')
    .describe('yuv420p: the decoded planes, copied once into pictures the decoder owns; rgba: converted on the CPU with libswscale'),
  max_sessions: z.number().int().positive().default(4).describe('sessions at once; more are answered 429'),
  min_bitrate_kbps: z.number().int().nonnegative().default(1000).describe('x-google-min-bitrate in the answer (0: leave out)'),
  start_bitrate_kbps: z.number().int().nonnegative().default(2500).describe('x-google-start-bitrate in the answer (0: leave out)'),
  reorder_window_ms: z.number().nonnegative().default(50).describe('how long a sequence gap waits for a late or retransmitted packet'),
  connect_timeout_ms: z.number().int().positive().default(15_000).describe('how long a session may take to connect after its answer before it ends (frees its max_sessions place)'),
  disconnect_grace_ms: z.number().nonnegative().default(3000).describe('how long ICE may stay disconnected before the session ends'),
  session_workers: z.union([z.literal('auto'), z.number().int().min(0).max(64)]).default(0)
    .describe('worker threads that hold the sessions (peer connection, socket, assembler, decoder each on one thread); 0: every session on the operator\'s thread, for small machines; \'auto\': one per core but one, the operator\'s thread keeping the graph; none on 2 cores or fewer, where the operator\'s thread with libuv\'s pool decoding holds more streams'),
  status_line: z.boolean().default(false).describe('print a live status line (sessions, fps, resolution, codec, drops) on stderr'),
  status_interval_ms: z.number().int().min(100).default(1000).describe('how often the status line refreshes'),
}).strict();

export type WebRTCClientParams = z.output<typeof WebRTCClientParams>;

/** Cores at or below which 'auto' keeps every session on the operator's thread. */
const AUTO_WORKERS_MIN_CORES = 3;

/**
 * How many session workers `session_workers` asks for on this machine. 'auto': one per core but one; none
 * on 2 cores or fewer, where bench:scale held 18 720p30 streams on the operator's thread (libuv's pool
 * decoding beside it) against 6 with one worker and 12 with two (docs/benchmarks.md).
 */
export function sessionWorkerCount(value: WebRTCClientParams['session_workers']): number {
  if (value !== 'auto') return value;
  const cores = availableParallelism();
  return cores < AUTO_WORKERS_MIN_CORES ? 0 : cores - 1;
}
