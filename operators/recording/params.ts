import { z } from 'zod';
import { VideoCodecName } from '../messages/index.ts';

/** VideoStreamRecorderOp's parameters. */
export const RecorderParams = z.object({
  directory: z.string().default('recordings')
    .describe('where files go (made if missing; must be writable); empty: recording off, messages are dropped (an app wires a recorder and a command-line flag switches it on)'),
  file_pattern: z.string().min(1).default('{stream}-{date}.{ext}')
    .describe('file name: {stream} (session id or stream name), {codec}, {date} (UTC, YYYYMMDD-HHMMSS), {ext} (webm, mkv, mp4); a name in use gets -1, -2...'),
  container: z.enum(['auto', 'webm', 'mkv', 'mp4']).default('auto')
    .describe('auto: WebM for VP8/VP9/AV1, Matroska for H264; mp4 is fragmented MP4 (H264 only here)'),
  flush_interval_ms: z.number().int().min(100).default(1000)
    .describe('a Matroska cluster or MP4 fragment at least this often: what a killed process can lose at most'),
  codec: VideoCodecName.default('H264').describe('encoder for VideoFrames on `frames` (libx264, libvpx, libvpx-vp9, SVT-AV1); EncodedFrames are never re-encoded'),
  bitrate_kbps: z.number().int().positive().default(4000).describe('target bitrate when encoding VideoFrames'),
  fps: z.number().positive().default(30).describe('frame rate the encoder plans for (timestamps come from the frames)'),
  keyframe_interval: z.number().int().positive().default(60).describe('a keyframe at least every this many encoded frames'),
}).strict();
export type RecorderParams = z.output<typeof RecorderParams>;

/** VideoStreamReplayerOp's parameters. */
export const ReplayerParams = z.object({
  filename: z.string().min(1).describe('any file FFmpeg reads: MP4, MKV, WebM, IVF, ...'),
  realtime: z.boolean().default(true).describe('true: at the file\'s own pace; false: as fast as downstream takes'),
  repeat: z.boolean().default(false).describe('start over at the end (timestamps keep increasing)'),
  count: z.number().int().nonnegative().default(0).describe('stop after this many pictures (0: no limit)'),
  start_ms: z.number().nonnegative().default(0).describe('start this far into the file (decoding from the keyframe before it)'),
  output_format: z.enum(['yuv420p', 'rgba']).default('yuv420p').describe('yuv420p: the decoded planes, copied once into pictures the reader owns (converted on the CPU when the file is not 4:2:0); rgba: converted on the CPU'),
}).strict();
export type ReplayerParams = z.output<typeof ReplayerParams>;
