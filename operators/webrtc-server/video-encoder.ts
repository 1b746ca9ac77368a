import { Codec, CodecContext, FFmpegError, Frame, Log, Packet, Rational, SoftwareScaleContext } from 'node-av';
import {
  AV_LOG_WARNING, AV_PICTURE_TYPE_I, AV_PICTURE_TYPE_NONE, AV_PIX_FMT_NV12, AV_PIX_FMT_RGBA, AV_PIX_FMT_YUV420P, AVERROR_EAGAIN, AVERROR_EOF,
  SWS_BILINEAR, type AVPixelFormat, type FFEncoderCodec,
} from 'node-av/constants';
import type { VideoFrame } from '../messages/index.ts';
import { SEND_CODECS, type SendCodecName } from './send-codecs.ts';

/** Input layouts the encoder takes; each is converted to the encoders' yuv420p by libswscale. */
const SOURCE_FORMATS: Partial<Record<VideoFrame['format'], AVPixelFormat>> = {
  yuv420p: AV_PIX_FMT_YUV420P, nv12: AV_PIX_FMT_NV12, rgba: AV_PIX_FMT_RGBA,
};

export class EncoderError extends Error {
  constructor(readonly encoder: string, message: string) {
    super(`the ${encoder} encoder failed: ${message}`);
    this.name = 'EncoderError';
  }
}

export interface EncodedUnit {
  data: Buffer;
  keyframe: boolean;
}

export interface EncoderSettings {
  codec: SendCodecName;
  width: number;
  height: number;
  fps: number;
  bitrateBps: number;
  /** Frames between periodic keyframes; 0: keyframes only when asked. */
  keyframeInterval: number;
}

/**
 * One node-av encoder at real-time settings (findings: x264 ultrafast/zerolatency/baseline; libvpx
 * realtime, cpu-used 8, no lag, one thread). The async `sendFrame` runs the encode on libuv's pool so
 * the event loop keeps serving RTCP and signaling meanwhile.
 */
export class VideoEncoder {
  private readonly ctx = new CodecContext();
  private readonly frame = new Frame();
  private readonly packet = new Packet();
  private scaler: SoftwareScaleContext | null = null;
  private scalerFormat: AVPixelFormat | null = null;
  private index = 0;
  private closed = false;
  /** The encode on libuv's pool, if any: freeing the context under it would crash the process. */
  private inFlight: Promise<unknown> | null = null;
  readonly name: FFEncoderCodec;

  constructor(readonly settings: EncoderSettings) {
    // FFmpeg logs at 'info' by default: x264 and libvpx would print a banner and a statistics summary
    // for every encoder opened and closed. Warnings and errors still show.
    Log.setLevel(AV_LOG_WARNING);
    this.name = SEND_CODECS[settings.codec].encoder;
    const codec = Codec.findEncoderByName(this.name);
    if (!codec) throw new EncoderError(this.name, `node-av's FFmpeg has no '${this.name}' encoder`);
    const { width, height } = settings;
    if (width % 2 || height % 2) throw new EncoderError(this.name, `${width}x${height} cannot be encoded: 4:2:0 needs an even width and height`);
    const ctx = this.ctx;
    ctx.allocContext3(codec);
    ctx.width = width;
    ctx.height = height;
    ctx.pixelFormat = AV_PIX_FMT_YUV420P;
    ctx.timeBase = new Rational(1, Math.round(settings.fps * 1000));
    ctx.framerate = new Rational(Math.round(settings.fps * 1000), 1000);
    // x264 and libvpx take 0 as "one keyframe, then never": a huge GOP; keyframes then come on request.
    ctx.gopSize = settings.keyframeInterval > 0 ? settings.keyframeInterval : 1 << 30;
    ctx.maxBFrames = 0;
    ctx.bitRate = BigInt(Math.round(settings.bitrateBps));
    ctx.threadCount = 1;
    for (const [k, v] of Object.entries(SEND_CODECS[settings.codec].options)) ctx.setOption(k, v);
    const ret = ctx.open2Sync(codec, null);
    if (ret < 0) {
      ctx.freeContext();
      throw new EncoderError(this.name, `cannot open it for ${width}x${height}: ${FFmpegError.strerror(ret)}`);
    }
    this.frame.alloc();
    this.frame.format = AV_PIX_FMT_YUV420P;
    this.frame.width = width;
    this.frame.height = height;
    if (this.frame.allocBuffer() < 0) throw new EncoderError(this.name, 'cannot allocate a frame');
    this.packet.alloc();
  }

  /** x264 follows a new rate mid-stream; FFmpeg's libvpx ignores it (findings trap 3), so VP8 needs a reopen. */
  get followsBitrateLive(): boolean { return this.settings.codec === 'H264'; }

  setBitrate(bps: number): void {
    if (this.closed) return;
    this.settings.bitrateBps = bps;
    this.ctx.bitRate = BigInt(Math.round(bps));
  }

  /** Encodes one picture; `keyframe` forces an I frame. Returns the access units that came out (zero or one). */
  encode(input: VideoFrame, keyframe: boolean): Promise<EncodedUnit[]> {
    if (this.closed) return Promise.resolve([]);
    const run = this.encodeNow(input, keyframe);
    this.inFlight = run.catch(() => undefined);
    return run;
  }

  private async encodeNow(input: VideoFrame, keyframe: boolean): Promise<EncodedUnit[]> {
    const src = SOURCE_FORMATS[input.format];
    if (src === undefined) throw new EncoderError(this.name, `frames in ${input.format} cannot be encoded (yuv420p, nv12 or rgba)`);
    if (input.width !== this.settings.width || input.height !== this.settings.height) {
      throw new EncoderError(this.name, `a ${input.width}x${input.height} frame reached an encoder opened for ${this.settings.width}x${this.settings.height}`);
    }
    const frame = this.frame;
    if (frame.makeWritable() < 0) throw new EncoderError(this.name, 'cannot make the frame writable');
    if (!this.scaler || this.scalerFormat !== src) {
      this.scaler?.freeContext();
      this.scaler = new SoftwareScaleContext();
      this.scaler.getContext(input.width, input.height, src, input.width, input.height, AV_PIX_FMT_YUV420P, SWS_BILINEAR);
      this.scalerFormat = src;
    }
    const planes = input.planes.map((p) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength));
    const scaled = await this.scaler.scale(planes, input.planes.map((p) => p.stride), 0, input.height, frame.data!, frame.linesize);
    if (this.closed) return [];
    if (scaled < 0) throw new EncoderError(this.name, `colour conversion from ${input.format} failed: ${FFmpegError.strerror(scaled)}`);
    frame.pts = BigInt(this.index++);
    frame.pictType = keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    const sent = await this.ctx.sendFrame(frame);
    if (this.closed) return [];
    if (sent < 0 && sent !== AVERROR_EAGAIN) throw new EncoderError(this.name, `sending a frame: ${FFmpegError.strerror(sent)}`);
    const out: EncodedUnit[] = [];
    for (;;) {
      const r = this.ctx.receivePacketSync(this.packet);
      if (r === AVERROR_EAGAIN || r === AVERROR_EOF) break;
      if (r < 0) throw new EncoderError(this.name, `receiving a packet: ${FFmpegError.strerror(r)}`);
      out.push({ data: Buffer.from(this.packet.data!), keyframe: this.packet.isKeyframe });
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
