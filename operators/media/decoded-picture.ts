import { type Frame, SoftwareScaleContext } from 'node-av';
import {
  AV_PIX_FMT_RGBA, AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVJ420P, AVCOL_RANGE_JPEG, AVCOL_SPC_BT709, SWS_BILINEAR,
  type AVPixelFormat,
} from 'node-av/constants';
import type { VideoFrame } from '../messages/index.ts';

/** What a decoder hands on: yuv420p (as decoded, no copy where the decoder gives 4:2:0) or rgba. */
export type PictureFormat = 'yuv420p' | 'rgba';

type Bytes = VideoFrame['planes'][number]['data'];
/** node-av's Buffers are typed over ArrayBufferLike; VideoFrame's schema wants plain Uint8Array. */
const bytes = (b: Uint8Array): Bytes => b as Bytes;

/** Keeps each node-av Frame alive while a VideoFrame made from its memory is reachable. */
const backing = new WeakMap<VideoFrame, Frame>();

/**
 * Decoded node-av pictures as VideoFrames, the one place that knows how (a decoder of a live stream and a
 * file reader both use it). A 4:2:0 picture asked for as yuv420p becomes views into the decoder's memory,
 * no copy, kept alive through the VideoFrame; any other layout (4:4:4, 10-bit...) or rgba goes through
 * libswscale into a ring of `ringSize` buffers allocated once. Either way a VideoFrame stays valid until
 * `ringSize` further pictures have been converted: the caller decodes into a ring of as many Frames.
 */
export class PictureConverter {
  private scaler: SoftwareScaleContext | null = null;
  private scalerKey = '';
  private ring: Uint8Array[] = [];
  private ringIndex = 0;

  /** `fail` makes the caller's own error (naming its file or stream) from FFmpeg's code. */
  constructor(readonly format: PictureFormat, private readonly ringSize: number, private readonly fail: (message: string, code: number) => Error) {}

  toVideoFrame(frame: Frame, timestamp: number): VideoFrame {
    const { width, height } = frame;
    const format = frame.format as AVPixelFormat;
    const colorSpace = frame.colorSpace === AVCOL_SPC_BT709 ? 'bt709' : 'bt601';
    const colorRange = frame.colorRange === AVCOL_RANGE_JPEG || format === AV_PIX_FMT_YUVJ420P ? 'full' : 'limited';
    const data = frame.data!;
    const linesize = frame.linesize;
    const ch = (height + 1) >> 1;
    if (this.format === 'rgba') {
      const rgba = this.nextBuffer(width * height * 4);
      this.scale(format, width, height, AV_PIX_FMT_RGBA, data, linesize, [rgba], [width * 4]);
      return { width, height, format: 'rgba', planes: [{ data: bytes(rgba), stride: width * 4 }], timestamp, colorSpace, colorRange };
    }
    if (format === AV_PIX_FMT_YUV420P || format === AV_PIX_FMT_YUVJ420P) {
      const vf: VideoFrame = {
        width, height, format: 'yuv420p', timestamp, colorSpace, colorRange,
        planes: [
          { data: bytes(data[0].subarray(0, linesize[0] * height)), stride: linesize[0] },
          { data: bytes(data[1].subarray(0, linesize[1] * ch)), stride: linesize[1] },
          { data: bytes(data[2].subarray(0, linesize[2] * ch)), stride: linesize[2] },
        ],
      };
      backing.set(vf, frame);
      return vf;
    }
    // Another layout: converted to what the VideoFrame contract promises, one buffer for the three planes.
    const cw = (width + 1) >> 1;
    const buf = this.nextBuffer(width * height + 2 * cw * ch);
    const y = buf.subarray(0, width * height);
    const u = buf.subarray(width * height, width * height + cw * ch);
    const v = buf.subarray(width * height + cw * ch);
    this.scale(format, width, height, AV_PIX_FMT_YUV420P, data, linesize, [y, u, v], [width, cw, cw]);
    return { width, height, format: 'yuv420p', timestamp, colorSpace, colorRange, planes: [{ data: bytes(y), stride: width }, { data: bytes(u), stride: cw }, { data: bytes(v), stride: cw }] };
  }

  /** The ring's next buffer; the ring is remade when the picture size changes. */
  private nextBuffer(size: number): Uint8Array {
    if (this.ring.length === 0 || this.ring[0].length !== size) {
      this.ring = Array.from({ length: this.ringSize }, () => new Uint8Array(size));
      this.ringIndex = 0;
    }
    const buf = this.ring[this.ringIndex];
    this.ringIndex = (this.ringIndex + 1) % this.ringSize;
    return buf;
  }

  /** libswscale into preallocated buffers: ~0.5 ms for 1080p, against ~3.8 ms for Scaler.toBuffer (findings). */
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
    if (ret < 0) throw this.fail(`colour conversion to ${dst === AV_PIX_FMT_RGBA ? 'rgba' : 'yuv420p'} failed`, ret);
  }

  close(): void {
    this.scaler?.freeContext();
    this.scaler = null;
  }
}
