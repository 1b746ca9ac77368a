import { Codec, CodecContext, Dictionary, FFmpegError, Frame, Packet, Rational, SoftwareScaleContext } from 'node-av';
import {
  AV_CODEC_FLAG_GLOBAL_HEADER, AV_PIX_FMT_GRAY8, AV_PIX_FMT_NV12, AV_PIX_FMT_RGB24, AV_PIX_FMT_RGBA, AV_PIX_FMT_YUV420P,
  AV_PKT_FLAG_KEY, AVERROR_EAGAIN, AVERROR_EOF, SWS_BILINEAR, type AVPixelFormat, type FFEncoderCodec,
} from 'node-av/constants';
import type { PixelFormat, VideoCodecName, VideoFrame } from '../messages/index.ts';
import { ENCODERS } from './codecs.ts';

export interface EncodedPacket {
  data: Uint8Array;
  keyframe: boolean;
  /** ms, the VideoFrame's own timestamp. */
  timestamp: number;
}

const PIX: Record<PixelFormat, AVPixelFormat> = { yuv420p: AV_PIX_FMT_YUV420P, nv12: AV_PIX_FMT_NV12, rgba: AV_PIX_FMT_RGBA, rgb: AV_PIX_FMT_RGB24, gray: AV_PIX_FMT_GRAY8 };

export interface EncoderOptions {
  codec: VideoCodecName;
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  /** Codec configuration in `extradata` instead of in-band (what Matroska and MP4 want). */
  globalHeader: boolean;
  /** A keyframe at least this often (frames), so a file can be seeked and a cut one still decodes. */
  keyframeInterval: number;
}

/**
 * VideoFrames to compressed frames with node-av's software encoders (libvpx, libx264, SVT-AV1), set up
 * for live use: fast presets, no B-frames (decode order = presentation order). Any VideoFrame layout is
 * brought to yuv420p by libswscale on the way in.
 */
export class FrameEncoder {
  private readonly ctx = new CodecContext();
  private readonly frame = new Frame();
  private readonly packet = new Packet();
  private scaler: SoftwareScaleContext | null = null;
  private scalerFrom = -1;

  private constructor(readonly options: EncoderOptions) {}

  get extradata(): Buffer | null { return this.ctx.extraData ?? null; }

  static async open(options: EncoderOptions): Promise<FrameEncoder> {
    const { name, options: tuned } = ENCODERS[options.codec];
    const codec = Codec.findEncoderByName(name as FFEncoderCodec);
    if (!codec) throw new Error(`FFmpeg in node-av has no ${name} encoder for ${options.codec}`);
    const enc = new FrameEncoder(options);
    const c = enc.ctx;
    c.allocContext3(codec);
    c.width = options.width;
    c.height = options.height;
    c.pixelFormat = AV_PIX_FMT_YUV420P;
    c.timeBase = new Rational(1, 1000);
    c.framerate = new Rational(Math.round(options.fps), 1);
    c.bitRate = BigInt(options.bitrateKbps * 1000);
    c.gopSize = options.keyframeInterval;
    c.maxBFrames = 0;
    if (options.globalHeader) c.flags = (c.flags | AV_CODEC_FLAG_GLOBAL_HEADER) as typeof c.flags;
    const dict = Dictionary.fromObject(tuned);
    const ret = await c.open2(codec, dict);
    dict.free();
    if (ret < 0) { c.freeContext(); throw new Error(`cannot open the ${name} encoder at ${options.width}x${options.height}: ${FFmpegError.strerror(ret)}`); }
    enc.frame.alloc();
    enc.frame.width = options.width;
    enc.frame.height = options.height;
    enc.frame.format = AV_PIX_FMT_YUV420P;
    FFmpegError.throwIfError(enc.frame.getBuffer(32), 'frame buffer');
    enc.packet.alloc();
    return enc;
  }

  async encode(vf: VideoFrame): Promise<EncodedPacket[]> {
    const { width, height } = this.options;
    if (vf.width !== width || vf.height !== height) throw new Error(`the encoder was opened for ${width}x${height}, got a ${vf.width}x${vf.height} frame`);
    const from = PIX[vf.format];
    if (!this.scaler || this.scalerFrom !== from) {
      this.scaler?.freeContext();
      this.scaler = new SoftwareScaleContext();
      this.scaler.getContext(width, height, from, width, height, AV_PIX_FMT_YUV420P, SWS_BILINEAR);
      this.scalerFrom = from;
    }
    FFmpegError.throwIfError(this.frame.makeWritable(), 'frame not writable');
    const src = vf.planes.map((p) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength));
    const ret = this.scaler.scaleSync(src, vf.planes.map((p) => p.stride), 0, height, this.frame.data!, this.frame.linesize);
    if (ret < 0) throw new Error(`converting a ${vf.format} frame to yuv420p failed: ${FFmpegError.strerror(ret)}`);
    this.frame.pts = BigInt(Math.round(vf.timestamp));
    const sent = await this.ctx.sendFrame(this.frame);
    if (sent < 0 && sent !== AVERROR_EAGAIN) throw new Error(`the ${this.options.codec} encoder refused a frame: ${FFmpegError.strerror(sent)}`);
    return this.receive();
  }

  /** What the encoder still holds, at the end of the stream. */
  async flush(): Promise<EncodedPacket[]> {
    await this.ctx.sendFrame(null);
    return this.receive();
  }

  private async receive(): Promise<EncodedPacket[]> {
    const out: EncodedPacket[] = [];
    for (;;) {
      const got = await this.ctx.receivePacket(this.packet);
      if (got === AVERROR_EAGAIN || got === AVERROR_EOF) break;
      if (got < 0) throw new Error(`the ${this.options.codec} encoder failed: ${FFmpegError.strerror(got)}`);
      out.push({ data: new Uint8Array(this.packet.data!), keyframe: (this.packet.flags & AV_PKT_FLAG_KEY) !== 0, timestamp: Number(this.packet.pts) });
      this.packet.unref();
    }
    return out;
  }

  close(): void {
    this.ctx.freeContext();
    this.frame.free();
    this.packet.free();
    this.scaler?.freeContext();
  }
}
