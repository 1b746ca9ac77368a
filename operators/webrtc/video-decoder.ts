import { Codec, CodecContext, Frame, Packet, SoftwareScaleContext } from 'node-av';
import {
  AV_CODEC_FLAG_LOW_DELAY, AV_PIX_FMT_RGBA, AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVJ420P, AV_PKT_FLAG_KEY,
  AVCOL_RANGE_JPEG, AVCOL_SPC_BT709, AVERROR_EAGAIN, AVERROR_EOF, SWS_BILINEAR,
  type AVPixelFormat, type FFDecoderCodec,
} from 'node-av/constants';
import type { VideoFrame } from '../messages/index.ts';
import type { CodecInfo } from './codecs.ts';
import type { EncodedFrame } from './frame-assembler.ts';

export type OutputFormat = 'yuv420p' | 'rgba';

export interface DecodedPicture {
  frame: VideoFrame;
  /** Wall time of this frame's decode (send + receive), ms. */
  decodeMs: number;
}

export class DecodeError extends Error {
  constructor(readonly codec: string, readonly code: number, message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/**
 * How many decoded pictures stay valid at once. A VideoFrame's planes are views into decoder memory
 * (no copy) and stay valid until this many further frames of the same session have been decoded; the
 * node-av Frame behind them is kept alive for as long as the VideoFrame is reachable.
 */
export const RING_SIZE = 4;

type Bytes = VideoFrame['planes'][number]['data'];
/** node-av's Buffers are typed over ArrayBufferLike; VideoFrame's schema wants plain Uint8Array. */
const bytes = (b: Uint8Array): Bytes => b as Bytes;

/** Decoders open on this thread (each thread loads its own copy of this module): leak checks read it. */
let openCount = 0;
export const openDecoders = (): number => openCount;

/** Keeps each node-av Frame alive while a VideoFrame made from its memory is reachable. */
const backing = new WeakMap<VideoFrame, Frame>();

/**
 * One stream's decoder: node-av's low-level CodecContext (not the Demuxer path, which needs
 * Promise.withResolvers on Node 20, findings trap 3). `sendPacket` is the async call, so the decode
 * itself runs on libuv's thread pool and the event loop keeps reading packets (trap 5); receiving the
 * already-decoded picture is a cheap synchronous call. One thread per decoder and LOW_DELAY: frame
 * threading would hold pictures back a frame or more.
 */
export class VideoDecoder {
  private readonly ctx = new CodecContext();
  private readonly packet = new Packet();
  private readonly ring: Frame[] = [];
  private ringIndex = 0;
  private scaler: SoftwareScaleContext | null = null;
  private scalerKey = '';
  private readonly rgbaRing: Bytes[] = [];
  private rgbaIndex = 0;
  private yuvRing: Bytes[] = [];
  private yuvIndex = 0;
  private closed = false;
  private busy: Promise<unknown> = Promise.resolve();
  framesDecoded = 0;
  errors = 0;

  constructor(readonly codec: CodecInfo, readonly outputFormat: OutputFormat = 'yuv420p', readonly useAsync = true) {
    const c = Codec.findDecoderByName(codec.decoder as FFDecoderCodec);
    if (!c) throw new Error(`FFmpeg in node-av has no '${codec.decoder}' decoder for ${codec.name}`);
    this.ctx.allocContext3(c);
    this.ctx.threadCount = 1;
    this.ctx.flags = (this.ctx.flags | AV_CODEC_FLAG_LOW_DELAY) as typeof this.ctx.flags;
    const ret = this.ctx.open2Sync(c, null);
    if (ret < 0) throw new DecodeError(codec.name, ret, `cannot open the ${codec.decoder} decoder (error ${ret})`);
    openCount++;
    this.packet.alloc();
    for (let i = 0; i < RING_SIZE; i++) {
      const f = new Frame();
      f.alloc();
      this.ring.push(f);
    }
  }

  /** Decodes one compressed frame; calls run one after another even if callers overlap. */
  decode(input: EncodedFrame): Promise<DecodedPicture[]> {
    const run = this.busy.then(() => this.decodeNow(input));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async decodeNow(input: EncodedFrame): Promise<DecodedPicture[]> {
    if (this.closed) return [];
    const t0 = performance.now();
    this.packet.data = input.data;
    this.packet.pts = BigInt(input.rtpTimestamp);
    this.packet.flags = (input.keyframe ? AV_PKT_FLAG_KEY : 0) as typeof this.packet.flags;
    const sent = this.useAsync ? await this.ctx.sendPacket(this.packet) : this.ctx.sendPacketSync(this.packet);
    this.packet.unref();
    if (this.closed) return [];
    if (sent < 0 && sent !== AVERROR_EAGAIN) {
      this.errors++;
      throw new DecodeError(this.codec.name, sent, `${this.codec.name} decoder rejected a ${input.keyframe ? 'key' : 'delta'}frame of ${input.data.length} bytes (error ${sent})`);
    }
    const out: DecodedPicture[] = [];
    for (;;) {
      const frame = this.ring[this.ringIndex];
      const got = this.ctx.receiveFrameSync(frame);
      if (got === AVERROR_EAGAIN || got === AVERROR_EOF) break;
      if (got < 0) {
        this.errors++;
        throw new DecodeError(this.codec.name, got, `${this.codec.name} decoder failed to return a picture (error ${got})`);
      }
      this.ringIndex = (this.ringIndex + 1) % RING_SIZE;
      const vf = this.toVideoFrame(frame, input.rtpTimestamp / 90);
      this.framesDecoded++;
      out.push({ frame: vf, decodeMs: performance.now() - t0 });
    }
    return out;
  }

  private toVideoFrame(frame: Frame, timestampMs: number): VideoFrame {
    const { width, height } = frame;
    const format = frame.format as AVPixelFormat;
    const colorSpace = frame.colorSpace === AVCOL_SPC_BT709 ? 'bt709' : 'bt601';
    const colorRange = frame.colorRange === AVCOL_RANGE_JPEG || format === AV_PIX_FMT_YUVJ420P ? 'full' : 'limited';
    const data = frame.data!;
    const linesize = frame.linesize;
    if (this.outputFormat === 'rgba') {
      const size = width * height * 4;
      if (this.rgbaRing.length === 0 || this.rgbaRing[0].length !== size) {
        this.rgbaRing.length = 0;
        for (let i = 0; i < RING_SIZE; i++) this.rgbaRing.push(new Uint8Array(size));
      }
      const dst = this.rgbaRing[this.rgbaIndex];
      this.rgbaIndex = (this.rgbaIndex + 1) % RING_SIZE;
      this.scale(format, width, height, AV_PIX_FMT_RGBA, data, linesize, [dst], [width * 4]);
      return { width, height, format: 'rgba', planes: [{ data: dst, stride: width * 4 }], timestamp: timestampMs, colorSpace, colorRange };
    }
    const ch = (height + 1) >> 1;
    if (format === AV_PIX_FMT_YUV420P || format === AV_PIX_FMT_YUVJ420P) {
      // Zero copy: views into the decoder's picture, kept alive through `backing`.
      const vf: VideoFrame = {
        width, height, format: 'yuv420p', timestamp: timestampMs, colorSpace, colorRange,
        planes: [
          { data: bytes(data[0].subarray(0, linesize[0] * height)), stride: linesize[0] },
          { data: bytes(data[1].subarray(0, linesize[1] * ch)), stride: linesize[1] },
          { data: bytes(data[2].subarray(0, linesize[2] * ch)), stride: linesize[2] },
        ],
      };
      backing.set(vf, frame);
      return vf;
    }
    // Another layout (4:4:4, 10-bit...): convert to what the VideoFrame contract promises.
    const cw = (width + 1) >> 1;
    const size = width * height + 2 * cw * ch;
    if (this.yuvRing.length === 0 || this.yuvRing[0].length !== size) {
      this.yuvRing = Array.from({ length: RING_SIZE }, () => new Uint8Array(size));
    }
    const buf = this.yuvRing[this.yuvIndex];
    this.yuvIndex = (this.yuvIndex + 1) % RING_SIZE;
    const y = bytes(buf.subarray(0, width * height));
    const u = bytes(buf.subarray(width * height, width * height + cw * ch));
    const v = bytes(buf.subarray(width * height + cw * ch));
    this.scale(format, width, height, AV_PIX_FMT_YUV420P, data, linesize, [y, u, v], [width, cw, cw]);
    return { width, height, format: 'yuv420p', timestamp: timestampMs, colorSpace, colorRange, planes: [{ data: y, stride: width }, { data: u, stride: cw }, { data: v, stride: cw }] };
  }

  /** libswscale into a preallocated buffer: ~0.5 ms for 1080p, against ~3.8 ms for Scaler.toBuffer (findings). */
  private scale(src: AVPixelFormat, width: number, height: number, dst: AVPixelFormat, data: Buffer[], linesize: number[], out: Uint8Array[], outStride: number[]): void {
    const key = `${src}:${width}x${height}:${dst}`;
    if (!this.scaler || this.scalerKey !== key) {
      this.scaler?.freeContext();
      this.scaler = new SoftwareScaleContext();
      this.scaler.getContext(width, height, src, width, height, dst, SWS_BILINEAR);
      this.scalerKey = key;
    }
    const buffers = out.map((o) => Buffer.from(o.buffer, o.byteOffset, o.byteLength));
    const ret = this.scaler.scaleSync(data, linesize, 0, height, buffers, outStride);
    if (ret < 0) throw new DecodeError(this.codec.name, ret, `colour conversion to ${dst} failed (error ${ret})`);
  }

  /** Drops what the decoder holds (after falling behind); the next frame must be a keyframe. */
  flush(): void {
    if (!this.closed) this.ctx.flushBuffers();
  }

  /**
   * Frees the decoder once no decode is in flight. The ring's pictures are left to the garbage
   * collector so a consumer still holding a VideoFrame never reads freed memory.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.busy;
    openCount--;
    this.ctx.freeContext();
    this.packet.free();
    this.scaler?.freeContext();
    this.scaler = null;
  }
}
