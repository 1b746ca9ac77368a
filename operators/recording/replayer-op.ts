import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineOperator, port } from '../../framework/index.ts';
import { EncodedFrame, VideoFrame } from '../messages/index.ts';
import { ReplayerParams } from './params.ts';
import { VideoFileReader } from './video-file-reader.ts';

interface ReplayState {
  reader: VideoFileReader;
  streamId: string;
  /** Decoded pictures not emitted yet (a packet may complete several). */
  pending: VideoFrame[];
  emitted: number;
  /** Compressed frames emitted on `encoded` (their metadata seq). */
  packets: number;
  /** Added to the file's timestamps: each repeat continues where the last one ended. */
  offsetMs: number;
  lastTimestamp: number;
  frameMs: number;
  /** Wall clock (performance.now) that the first emitted picture's timestamp maps to, in realtime mode. */
  clockStart: number;
  firstTimestamp: number;
  warnedEncoded: boolean;
}

/**
 * Plays a video file into the graph, like Holoscan's VideoStreamReplayerOp: decoded VideoFrames on
 * `output` (one per compute) and, where connected, the file's compressed frames on `encoded`. At the
 * file's own pace (`realtime`) or as fast as downstream takes; at the end it starts over (`repeat`) or
 * ends its stream, so a graph that only replays finishes by itself.
 */
export const VideoStreamReplayerOp = defineOperator({
  name: 'VideoStreamReplayerOp',
  description: 'plays a video file (anything FFmpeg reads) as VideoFrames and EncodedFrames, in real time or as fast as downstream takes',
  params: ReplayerParams,
  outputs: {
    output: port(VideoFrame, { description: 'decoded pictures; metadata: streamId (the file name), frameIndex' }),
    encoded: port(EncodedFrame, { condition: 'none', description: 'the file\'s compressed frames (VP8, VP9, H264 as Annex B, AV1), then endOfStream; metadata: streamId, seq' }),
  },

  async initialize(ctx): Promise<ReplayState> {
    const p = ctx.params;
    const reader = await VideoFileReader.open(p.filename, p.output_format);
    if (p.start_ms > 0) await reader.seek(p.start_ms);
    ctx.log.info(`replaying ${p.filename}: ${reader.codecName} ${reader.width}x${reader.height}${reader.fps ? ` at ${reader.fps.toFixed(2)} fps` : ''}`);
    return {
      reader, streamId: basename(p.filename), pending: [], emitted: 0, packets: 0, offsetMs: 0, lastTimestamp: 0,
      frameMs: reader.fps > 0 ? 1000 / reader.fps : 1000 / 30, clockStart: 0, firstTimestamp: NaN, warnedEncoded: false,
    };
  },

  async compute(_inputs, emit, ctx) {
    const st = ctx.state;
    const p = ctx.params;
    while (st.pending.length === 0) {
      // The compressed frames are copied (and H264 converted to Annex B) only for an `encoded` port someone reads.
      const step = await st.reader.next(ctx.isConnected('encoded'));
      if (!step) {
        if (p.repeat && st.emitted > 0) {
          st.offsetMs = st.lastTimestamp + st.frameMs - (p.start_ms > 0 ? p.start_ms : 0);
          await st.reader.seek(p.start_ms);
          continue;
        }
        end(emit, st, ctx);
        return;
      }
      if (step.packet) {
        if (st.reader.codec) {
          const pk = step.packet;
          emit.encoded({ codec: st.reader.codec, keyframe: pk.keyframe, timestamp: pk.timestamp + st.offsetMs, data: pk.data as EncodedFrame['data'], streamId: st.streamId, width: st.reader.width, height: st.reader.height }, { streamId: st.streamId, seq: st.packets++ });
        } else if (!st.warnedEncoded) {
          st.warnedEncoded = true;
          ctx.log.warn(`${p.filename}: its codec (${st.reader.codecName}) is not one an EncodedFrame carries (VP8, VP9, H264, AV1); only decoded pictures are emitted`);
        }
      }
      // Pictures before the start offset were decoded only to reach it.
      for (const pic of step.pictures) if (pic.timestamp >= p.start_ms) st.pending.push(pic);
    }
    const picture = st.pending.shift()!;
    const timestamp = picture.timestamp + st.offsetMs;
    if (p.realtime) {
      const now = performance.now();
      if (Number.isNaN(st.firstTimestamp)) { st.firstTimestamp = timestamp; st.clockStart = now; }
      const wait = st.clockStart + (timestamp - st.firstTimestamp) - now;
      if (wait > 1) await sleep(wait, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
    st.lastTimestamp = picture.timestamp;
    emit.output({ ...picture, timestamp }, { streamId: st.streamId, frameIndex: st.emitted });
    st.emitted++;
    if (p.count > 0 && st.emitted >= p.count) end(emit, st, ctx);
  },

  async stop(ctx) {
    await ctx.state?.reader.close();
  },
});

function end(emit: { encoded(v: EncodedFrame, meta?: Record<string, unknown>): void }, st: ReplayState, ctx: { disable(): void; log: { info(m: string): void } }): void {
  if (st.reader.codec) emit.encoded({ codec: st.reader.codec, keyframe: false, timestamp: st.lastTimestamp + st.offsetMs, data: new Uint8Array(0), streamId: st.streamId, endOfStream: true }, { streamId: st.streamId, seq: st.packets++ });
  ctx.log.info(`replayed ${st.streamId}: ${st.emitted} pictures`);
  ctx.disable();
}
