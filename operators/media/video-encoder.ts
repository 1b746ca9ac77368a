/**
 * One home for opening node-av's software video encoders: which FFmpeg encoder each codec uses, its
 * settings for each use, and the open / convert / encode / close sequence. A shared library, not an
 * operator: WebRTCServerOp (streaming) and VideoStreamRecorderOp (recording) both build on it.
 */
import { Codec, CodecContext, FFmpegError, Frame, Log, Packet, Rational, SoftwareScaleContext } from 'node-av';
import {
  AV_CODEC_FLAG_GLOBAL_HEADER, AV_LOG_WARNING, AV_PICTURE_TYPE_I, AV_PICTURE_TYPE_NONE, AV_PIX_FMT_GRAY8, AV_PIX_FMT_NV12,
  AV_PIX_FMT_RGB24, AV_PIX_FMT_RGBA, AV_PIX_FMT_YUV420P, AVERROR_EAGAIN, AVERROR_EOF, SWS_BILINEAR,
  type AVPixelFormat, type FFEncoderCodec,
} from 'node-av/constants';
import type { PixelFormat, VideoCodecName, VideoFrame } from '../messages/index.ts';

/** What an encoder is opened for: a live stream to browsers (lowest latency), or a file (better compression). */
export type EncoderUse = 'streaming' | 'recording';

export interface VideoEncoderSpec {
  /** FFmpeg's software encoder for the codec. */
  name: FFEncoderCodec;
  /** Options for every use: real-time rate control, no look-ahead, no frame reordering. */
  options: Record<string, string>;
  /** What each use changes on top of `options`. */
  uses: Partial<Record<EncoderUse, Record<string, string>>>;
  /** Threads for each use (unset: FFmpeg's default, one). */
  threads: Partial<Record<EncoderUse, number>>;
}

/**
 * One record per codec. Streaming: x264 ultrafast/zerolatency in the constrained baseline profile every
 * browser decodes, on two threads: zerolatency slices each frame across them (sliced threads, no frame
 * delay), which halved the 720p encode's wall time (p50 11.8 -> 5.8 ms, interleaved A/B on the loaded
 * 2-core machine) for 3 % more CPU; three threads were no faster there. VP8 error-resilient (a lost packet
 * damages less) on one thread: two cost more CPU without being faster (whep-findings). Recording: x264
 * veryfast (smaller files at a few ms more per frame).
 */
export const VIDEO_ENCODERS: Record<VideoCodecName, VideoEncoderSpec> = {
  VP8: {
    name: 'libvpx' as FFEncoderCodec, options: { deadline: 'realtime', 'cpu-used': '8', 'lag-in-frames': '0' },
    uses: { streaming: { 'error-resilient': '1' } }, threads: { streaming: 1 },
  },
  VP9: { name: 'libvpx-vp9' as FFEncoderCodec, options: { deadline: 'realtime', 'cpu-used': '8', 'lag-in-frames': '0', 'row-mt': '1' }, uses: {}, threads: {} },
  H264: {
    name: 'libx264' as FFEncoderCodec, options: { tune: 'zerolatency' },
    uses: { streaming: { preset: 'ultrafast', profile: 'baseline' }, recording: { preset: 'veryfast' } }, threads: { streaming: 2 },
  },
  AV1: { name: 'libsvtav1' as FFEncoderCodec, options: { preset: '12' }, uses: {}, threads: {} },
};

/** The options an encoder of `codec` is opened with for `use`. */
export function encoderOptions(codec: VideoCodecName, use: EncoderUse): Record<string, string> {
  const spec = VIDEO_ENCODERS[codec];
  return { ...spec.options, ...spec.uses[use] };
}

/** Every VideoFrame layout, as FFmpeg names it; libswscale brings each to the encoders' yuv420p. */
const PIXEL_FORMATS: Record<PixelFormat, AVPixelFormat> = {
  yuv420p: AV_PIX_FMT_YUV420P, nv12: AV_PIX_FMT_NV12, rgba: AV_PIX_FMT_RGBA, rgb: AV_PIX_FMT_RGB24, gray: AV_PIX_FMT_GRAY8,
};

export class EncoderError extends Error {
  constructor(readonly encoder: string, message: string) {
    super(`the ${encoder} encoder failed: ${message}`);
    this.name = 'EncoderError';
  }
}

export interface VideoEncoderSettings {
  codec: VideoCodecName;
  use: EncoderUse;
  width: number;
  height: number;
  fps: number;
  bitrateBps: number;
  /** Frames between periodic keyframes; 0: one keyframe, then only when asked. */
  keyframeInterval: number;
  /** What a frame's pts counts: milliseconds (a VideoFrame's timestamp) or frames (0, 1, 2, ...). */
  ptsUnit: 'ms' | 'frame';
  /** Codec configuration in `extradata` instead of in-band (what Matroska and MP4 want). */
  globalHeader?: boolean;
}

export interface EncodedPacket {
  data: Buffer;
  keyframe: boolean;
  /** In the settings' ptsUnit. */
  pts: number;
}

/**
 * One open software encoder, set up for live use (no B-frames: decode order = presentation order). The
 * encode (and a colour conversion) are node-av's async calls, so they run on libuv's pool and the event
 * loop stays free meanwhile (whep-findings: busy 27 % instead of 70 %). Closing while an encode is in
 * flight waits for it before freeing the context (freeing under it would crash the process).
 */
export class SoftwareVideoEncoder {
  private readonly ctx = new CodecContext();
  private readonly frame = new Frame();
  /**
   * The frame's planes, read once: node-av makes new external Buffers on every `frame.data` read, and V8
   * counts their bytes (a full GC every few dozen 720p frames if read per frame; see media/decoded-picture.ts).
   * Read again only if FFmpeg had to give the frame new memory.
   */
  private frameData: Buffer[] = [];
  private frameLinesize: number[] = [];
  private readonly packet = new Packet();
  private scaler: SoftwareScaleContext | null = null;
  private scalerFormat: AVPixelFormat | null = null;
  private closed = false;
  private inFlight: Promise<unknown> | null = null;
  readonly name: FFEncoderCodec;

  constructor(readonly settings: VideoEncoderSettings) {
    // FFmpeg logs at 'info' by default: x264 and libvpx would print a banner and a statistics summary
    // for every encoder opened and closed. Warnings and errors still show.
    Log.setLevel(AV_LOG_WARNING);
    const spec = VIDEO_ENCODERS[settings.codec];
    this.name = spec.name;
    const codec = Codec.findEncoderByName(this.name);
    if (!codec) throw new EncoderError(this.name, `node-av's FFmpeg has no '${this.name}' encoder`);
    const { width, height } = settings;
    if (width % 2 || height % 2) throw new EncoderError(this.name, `${width}x${height} cannot be encoded: 4:2:0 needs an even width and height`);
    const ctx = this.ctx;
    ctx.allocContext3(codec);
    ctx.width = width;
    ctx.height = height;
    ctx.pixelFormat = AV_PIX_FMT_YUV420P;
    const fpsMilli = Math.round(settings.fps * 1000);
    ctx.timeBase = settings.ptsUnit === 'ms' ? new Rational(1, 1000) : new Rational(1000, fpsMilli);
    ctx.framerate = new Rational(fpsMilli, 1000);
    // x264 and libvpx take 0 as "one keyframe, then never": a huge GOP; keyframes then come on request.
    ctx.gopSize = settings.keyframeInterval > 0 ? settings.keyframeInterval : 1 << 30;
    ctx.maxBFrames = 0;
    ctx.bitRate = BigInt(Math.round(settings.bitrateBps));
    const threads = spec.threads[settings.use];
    if (threads !== undefined) ctx.threadCount = threads;
    if (settings.globalHeader) ctx.flags = (ctx.flags | AV_CODEC_FLAG_GLOBAL_HEADER) as typeof ctx.flags;
    for (const [k, v] of Object.entries(encoderOptions(settings.codec, settings.use))) ctx.setOption(k, v);
    const ret = ctx.open2Sync(codec, null);
    if (ret < 0) {
      ctx.freeContext();
      throw new EncoderError(this.name, `cannot open it for ${width}x${height}: ${FFmpegError.strerror(ret)}`);
    }
    this.frame.alloc();
    this.frame.format = AV_PIX_FMT_YUV420P;
    this.frame.width = width;
    this.frame.height = height;
    if (this.frame.getBuffer(32) < 0) throw new EncoderError(this.name, 'cannot allocate a frame');
    this.readFramePlanes();
    this.packet.alloc();
  }

  /** The codec configuration (SPS/PPS, ...) when opened with `globalHeader`. */
  get extradata(): Buffer | null { return this.ctx.extraData ?? null; }

  /** x264 follows a new rate mid-stream; FFmpeg's libvpx ignores it (whep-findings trap 3): reopen to change it. */
  get followsBitrateLive(): boolean { return this.settings.codec === 'H264'; }

  setBitrate(bps: number): void {
    if (this.closed) return;
    this.settings.bitrateBps = bps;
    this.ctx.bitRate = BigInt(Math.round(bps));
  }

  /** Encodes one picture (`keyframe` forces an I frame); returns the packets that came out (zero or one, no B-frames). */
  encode(input: VideoFrame, pts: number, keyframe = false): Promise<EncodedPacket[]> {
    if (this.closed) return Promise.resolve([]);
    const run = this.encodeNow(input, pts, keyframe);
    this.inFlight = run.catch(() => undefined);
    return run;
  }

  private async encodeNow(input: VideoFrame, pts: number, keyframe: boolean): Promise<EncodedPacket[]> {
    const src = PIXEL_FORMATS[input.format];
    if (src === undefined) throw new EncoderError(this.name, `frames in ${input.format} cannot be encoded`);
    const { width, height } = this.settings;
    if (input.width !== width || input.height !== height) {
      throw new EncoderError(this.name, `a ${input.width}x${input.height} frame reached an encoder opened for ${width}x${height}`);
    }
    const frame = this.frame;
    // Encoders copy the picture in, so the frame is normally writable again; if one still holds it, FFmpeg
    // gives the frame new memory, and the planes are read again.
    if (!frame.isWritable) {
      if (frame.makeWritable() < 0) throw new EncoderError(this.name, 'cannot make the frame writable');
      this.readFramePlanes();
    }
    if (!this.scaler || this.scalerFormat !== src) {
      this.scaler?.freeContext();
      this.scaler = new SoftwareScaleContext();
      this.scaler.getContext(width, height, src, width, height, AV_PIX_FMT_YUV420P, SWS_BILINEAR);
      this.scalerFormat = src;
    }
    const planes = input.planes.map((p) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength));
    const strides = input.planes.map((p) => p.stride);
    // yuv420p in is a plain copy (~1.4 MB at 720p): cheaper here than the hop to libuv's pool and back
    // (encode p50 6.2 -> 4.6 ms at 720p, interleaved A/B under load). A real conversion runs on the pool.
    const scaled = src === AV_PIX_FMT_YUV420P
      ? this.scaler.scaleSync(planes, strides, 0, height, this.frameData, this.frameLinesize)
      : await this.scaler.scale(planes, strides, 0, height, this.frameData, this.frameLinesize);
    if (this.closed) return [];
    if (scaled < 0) throw new EncoderError(this.name, `colour conversion from ${input.format} failed: ${FFmpegError.strerror(scaled)}`);
    frame.pts = BigInt(Math.round(pts));
    frame.pictType = keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    const sent = await this.ctx.sendFrame(frame);
    if (this.closed) return [];
    if (sent < 0 && sent !== AVERROR_EAGAIN) throw new EncoderError(this.name, `sending a frame: ${FFmpegError.strerror(sent)}`);
    return this.receive();
  }

  private readFramePlanes(): void {
    this.frameData = this.frame.data!;
    this.frameLinesize = [...this.frame.linesize];
  }

  /** What the encoder still holds, at the end of a stream. */
  async flush(): Promise<EncodedPacket[]> {
    if (this.closed) return [];
    const sent = await this.ctx.sendFrame(null);
    if (sent < 0 && sent !== AVERROR_EOF) throw new EncoderError(this.name, `flushing: ${FFmpegError.strerror(sent)}`);
    return this.receive();
  }

  private receive(): EncodedPacket[] {
    const out: EncodedPacket[] = [];
    for (;;) {
      const r = this.ctx.receivePacketSync(this.packet);
      if (r === AVERROR_EAGAIN || r === AVERROR_EOF) break;
      if (r < 0) throw new EncoderError(this.name, `receiving a packet: ${FFmpegError.strerror(r)}`);
      out.push({ data: Buffer.from(this.packet.data!), keyframe: this.packet.isKeyframe, pts: Number(this.packet.pts) });
      this.packet.unref();
    }
    return out;
  }

  /** Frees the encoder once no encode is in flight; safe to call at any time and more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.inFlight) void this.inFlight.then(() => this.free());
    else this.free();
  }

  private free(): void {
    this.ctx.freeContext();
    this.frame.free();
    this.packet.free();
    this.scaler?.freeContext();
    this.scaler = null;
  }
}
