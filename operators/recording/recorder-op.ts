import { access, constants as fsConstants, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineOperator, port, type Logger } from '../../framework/index.ts';
import { EncodedFrame, VideoFrame, type VideoCodecName } from '../messages/index.ts';
import { chooseContainer, EXTENSIONS } from './codecs.ts';
import { EncodedFileWriter, RecordingError } from './encoded-file-writer.ts';
import { FrameEncoder } from './frame-encoder.ts';
import { probeKeyframe } from './keyframe-probe.ts';
import { RecorderParams } from './params.ts';

/** One stream being recorded: its file (opened at the first keyframe) and where its frames stand. */
interface StreamRecording {
  codec: VideoCodecName;
  writer: EncodedFileWriter | null;
  /** Frames before the first keyframe, or after a gap in `seq`, cannot be decoded: skipped until a keyframe. */
  waitingForKeyframe: boolean;
  lastSeq: number;
  skipped: number;
}

interface RecorderState {
  streams: Map<string, StreamRecording>;
  /** VideoFrames being encoded, per stream (the session id in their metadata, else `frames`). */
  encoders: Map<string, { encoder: FrameEncoder; recording: StreamRecording }>;
  /** Names given out in this run, so two streams never share a file. */
  used: Set<string>;
  files: string[];
}

/**
 * Writes compressed video to files without re-encoding: each stream (EncodedFrame.streamId, a WebRTC
 * session) gets its own WebM, Matroska or fragmented MP4 file through FFmpeg's muxers. VideoFrames on
 * `frames` (e.g. HolovizOp's render_buffer_output) are encoded first. A file is written as `<name>.part`,
 * streamable, and renamed when it is finished: at the stream's endOfStream (session closed) or at stop.
 */
export const VideoStreamRecorderOp = defineOperator({
  name: 'VideoStreamRecorderOp',
  description: 'records EncodedFrames without re-encoding (WebM/Matroska/fragmented MP4, one file per stream) and encodes VideoFrames to the same',
  params: RecorderParams,
  inputs: {
    // Deep: a recording cannot skip a compressed frame, and a disk may stall for a moment.
    encoded: port(EncodedFrame, { capacity: 512, description: 'compressed frames, any number of streams by streamId; endOfStream finishes that file' }),
    frames: port(VideoFrame, { capacity: 8, description: 'pictures to encode (codec, bitrate_kbps) and record' }),
  },
  // Either input alone is enough to compute; the recorder ends (and the run with it) once both have ended.
  anyInput: true,

  async initialize(ctx): Promise<RecorderState> {
    const dir = ctx.params.directory;
    if (dir === '') {
      ctx.log.debug('recording is off (no directory)');
      return { streams: new Map(), encoders: new Map(), used: new Set(), files: [] };
    }
    try {
      await mkdir(dir, { recursive: true });
      await access(dir, fsConstants.W_OK);
    } catch (err) {
      throw new RecordingError(dir, `the recording directory cannot be written: ${(err as Error).message}`);
    }
    return { streams: new Map(), encoders: new Map(), used: new Set(), files: [] };
  },

  async compute({ encoded, frames }, _emit, ctx) {
    const st = ctx.state;
    if (ctx.params.directory === '') return;
    if (encoded) await recordEncoded(encoded, ctx.metadata as { seq?: unknown }, st, ctx.params, ctx.log);
    if (frames) await recordPicture(frames, String((ctx.metadata as { sessionId?: unknown }).sessionId ?? 'frames'), st, ctx.params, ctx.log);
  },

  async stop(ctx) {
    const st = ctx.state;
    if (!st) return;
    const errors: Error[] = [];
    for (const [id, { encoder, recording }] of st.encoders) {
      try {
        for (const p of await encoder.flush()) await writeFrame(recording, id, p.data, p.timestamp, p.keyframe, st, ctx.params, ctx.log);
        await finishStream(id, recording, ctx.log);
      } catch (err) { errors.push(err as Error); }
      encoder.close();
    }
    st.encoders.clear();
    for (const [id, rec] of st.streams) {
      try { await finishStream(id, rec, ctx.log); } catch (err) { errors.push(err as Error); }
    }
    st.streams.clear();
    if (errors.length) throw errors[0];
  },
});

async function recordEncoded(frame: EncodedFrame, meta: { seq?: unknown }, st: RecorderState, params: RecorderParams, log: Logger): Promise<void> {
  const id = frame.streamId ?? 'stream';
  let rec = st.streams.get(id);
  if (frame.endOfStream) {
    if (rec) { st.streams.delete(id); await finishStream(id, rec, log); }
    return;
  }
  if (rec && rec.codec !== frame.codec) {
    // The sender switched codecs: this file ends, the next one starts at the new codec's keyframe.
    st.streams.delete(id);
    await finishStream(id, rec, log);
    rec = undefined;
  }
  if (!rec) {
    rec = { codec: frame.codec, writer: null, waitingForKeyframe: true, lastSeq: -1, skipped: 0 };
    st.streams.set(id, rec);
  }
  const seq = typeof meta.seq === 'number' ? meta.seq : -1;
  if (seq >= 0 && rec.lastSeq >= 0 && seq !== rec.lastSeq + 1) {
    log.warn(`recording ${id}: ${seq - rec.lastSeq - 1} frame(s) lost before this one (the recorder fell behind); waiting for a keyframe`);
    rec.waitingForKeyframe = true;
  }
  rec.lastSeq = seq;
  await writeFrame(rec, id, frame.data, frame.timestamp, frame.keyframe, st, params, log, frame.width, frame.height);
}

async function recordPicture(frame: VideoFrame, id: string, st: RecorderState, params: RecorderParams, log: Logger): Promise<void> {
  let entry = st.encoders.get(id);
  if (entry && (entry.encoder.options.width !== frame.width || entry.encoder.options.height !== frame.height)) {
    // A new size needs a new encoder and a new file.
    for (const p of await entry.encoder.flush()) await writeFrame(entry.recording, id, p.data, p.timestamp, p.keyframe, st, params, log);
    entry.encoder.close();
    await finishStream(id, entry.recording, log);
    st.encoders.delete(id);
    entry = undefined;
  }
  if (!entry) {
    const encoder = await FrameEncoder.open({ codec: params.codec, width: frame.width, height: frame.height, fps: params.fps, bitrateKbps: params.bitrate_kbps, globalHeader: false, keyframeInterval: params.keyframe_interval });
    entry = { encoder, recording: { codec: params.codec, writer: null, waitingForKeyframe: true, lastSeq: -1, skipped: 0 } };
    st.encoders.set(id, entry);
  }
  for (const p of await entry.encoder.encode(frame)) await writeFrame(entry.recording, id, p.data, p.timestamp, p.keyframe, st, params, log, frame.width, frame.height);
}

async function writeFrame(rec: StreamRecording, id: string, data: Uint8Array, timestamp: number, keyframe: boolean, st: RecorderState, params: RecorderParams, log: Logger, width?: number, height?: number): Promise<void> {
  if (rec.waitingForKeyframe) {
    if (!keyframe) { rec.skipped++; return; }
    rec.waitingForKeyframe = false;
  }
  if (!rec.writer) {
    const container = chooseContainer(rec.codec, params.container);
    const path = fileName(id, rec.codec, EXTENSIONS[container], st, params);
    let facts;
    try {
      facts = await probeKeyframe(rec.codec, data);
    } catch (err) {
      throw new RecordingError(path, `cannot start the recording: ${(err as Error).message}`);
    }
    rec.writer = await EncodedFileWriter.open({ path, codec: rec.codec, container, width: width ?? facts.width, height: height ?? facts.height, extradata: facts.extradata, flushIntervalMs: params.flush_interval_ms });
    log.info(`recording ${id} (${rec.codec}, ${facts.width}x${facts.height}) to ${path}`);
  }
  try {
    await rec.writer.write(data, timestamp, keyframe);
  } catch (err) {
    const writer = rec.writer;
    rec.writer = null;
    await writer.abandon().catch(() => undefined);
    throw new RecordingError(writer.partPath, `${(err as Error).message.replace(`${writer.partPath}: `, '')} (the file stays as ${writer.partPath}, playable up to the failure, never renamed)`);
  }
}

async function finishStream(id: string, rec: StreamRecording, log: Logger): Promise<void> {
  const writer = rec.writer;
  rec.writer = null;
  if (!writer) {
    if (rec.skipped) log.warn(`recording ${id}: no keyframe came in ${rec.skipped} frame(s); no file written`);
    return;
  }
  await writer.finish();
  log.info(`recorded ${id}: ${writer.framesWritten} frames, ${writer.bytesWritten} bytes in ${writer.options.path}`);
}

function fileName(id: string, codec: string, ext: string, st: RecorderState, params: RecorderParams): string {
  const date = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const safeId = id.replace(/[^A-Za-z0-9._-]/g, '_');
  const base = params.file_pattern.replaceAll('{stream}', safeId).replaceAll('{codec}', codec).replaceAll('{date}', date).replaceAll('{ext}', ext);
  const dot = base.lastIndexOf('.');
  const [stem, suffix] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  for (let n = 0; ; n++) {
    const path = join(params.directory, n === 0 ? base : `${stem}-${n}${suffix}`);
    if (!st.used.has(path) && !existsSync(path) && !existsSync(`${path}.part`)) {
      st.used.add(path);
      st.files.push(path);
      return path;
    }
  }
}
