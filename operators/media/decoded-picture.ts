import { Frame, SoftwareScaleContext } from 'node-av';
import {
  AV_PIX_FMT_RGBA, AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVJ420P, AVCOL_RANGE_JPEG, AVCOL_SPC_BT709, SWS_BILINEAR,
  type AVPixelFormat,
} from 'node-av/constants';
import type { VideoFrame } from '../messages/index.ts';

/** What a decoder hands on: yuv420p (as decoded where the decoder gives 4:2:0) or rgba. */
export type PictureFormat = 'yuv420p' | 'rgba';

type Bytes = VideoFrame['planes'][number]['data'];
/** node-av's Buffers are typed over ArrayBufferLike; VideoFrame's schema wants plain Uint8Array. */
const bytes = (b: Uint8Array): Bytes => b as Bytes;

/** A picture this converter owns: a node-av Frame allocated once, its planes' memory read once. */
interface Slot { readonly frame: Frame; readonly data: Buffer[]; readonly linesize: number[] }

/** Keeps each owned Frame alive while a VideoFrame made from its memory is reachable. */
const backing = new WeakMap<VideoFrame, Frame>();

/**
 * Decoded node-av pictures as VideoFrames, the one place that knows how (a decoder of a live stream and a
 * file reader both use it). Every picture is copied (av_frame_copy; libswscale where the layout or the
 * format changes) into a ring of `ringSize` Frames this converter allocated once, and a VideoFrame's planes
 * are views of that memory: it stays valid until `ringSize` further pictures have been converted.
 *
 * Why a copy and not views into the decoder's own memory: node-av makes a new external Buffer for each
 * plane on every `frame.data` read, and V8 counts those bytes as external memory; at 1080p that is 3 MB a
 * picture, and V8 ran a full mark-compact every ~15 pictures to account for it. Copying 3 MB costs less
 * than that (measured, 1080p H264 replay: decode + views 1.2-1.3x the bare decode loop's CPU, decode +
 * this copy 0.98-1.04x), and the ring's Buffers are read once, so steady state allocates nothing external.
 */
export class PictureConverter {
  private scaler: SoftwareScaleContext | null = null;
  private scalerKey = '';
  private ring: Slot[] = [];
  private ringKey = '';
  private ringIndex = 0;

  /** `fail` makes the caller's own error (naming its file or stream) from FFmpeg's code. */
  constructor(readonly format: PictureFormat, private readonly ringSize: number, private readonly fail: (message: string, code: number) => Error) {}

  toVideoFrame(frame: Frame, timestamp: number): VideoFrame {
    const { width, height } = frame;
    const format = frame.format as AVPixelFormat;
    const colorSpace = frame.colorSpace === AVCOL_SPC_BT709 ? 'bt709' : 'bt601';
    const colorRange = frame.colorRange === AVCOL_RANGE_JPEG || format === AV_PIX_FMT_YUVJ420P ? 'full' : 'limited';
    const is420 = format === AV_PIX_FMT_YUV420P || format === AV_PIX_FMT_YUVJ420P;
    // 4:2:0 asked for as yuv420p is copied as it is; anything else goes through libswscale.
    const target = this.format === 'rgba' ? AV_PIX_FMT_RGBA : is420 ? format : AV_PIX_FMT_YUV420P;
    const slot = this.nextSlot(target, width, height);
    if (target === format) {
      const ret = slot.frame.copy(frame);
      if (ret < 0) throw this.fail('copying the picture failed', ret);
    } else {
      this.scale(frame, slot.frame, target);
    }
    const vf: VideoFrame = this.format === 'rgba'
      ? { width, height, format: 'rgba', timestamp, colorSpace, colorRange, planes: [{ data: bytes(slot.data[0].subarray(0, slot.linesize[0] * height)), stride: slot.linesize[0] }] }
      : { width, height, format: 'yuv420p', timestamp, colorSpace, colorRange, planes: yuvPlanes(slot, height) };
    backing.set(vf, slot.frame);
    return vf;
  }

  /** The ring's next Frame, remade (the old one left to the garbage collector) when size or format change. */
  private nextSlot(format: AVPixelFormat, width: number, height: number): Slot {
    const key = `${format}:${width}x${height}`;
    if (this.ringKey !== key) {
      this.ring = Array.from({ length: this.ringSize }, () => this.allocSlot(format, width, height));
      this.ringKey = key;
      this.ringIndex = 0;
    }
    const slot = this.ring[this.ringIndex];
    this.ringIndex = (this.ringIndex + 1) % this.ringSize;
    return slot;
  }

  private allocSlot(format: AVPixelFormat, width: number, height: number): Slot {
    const frame = new Frame();
    frame.alloc();
    frame.format = format;
    frame.width = width;
    frame.height = height;
    const ret = frame.allocBuffer();
    if (ret < 0) throw this.fail(`allocating a ${width}x${height} picture failed`, ret);
    return { frame, data: frame.data!, linesize: [...frame.linesize] };
  }

  /** libswscale from the decoder's Frame into an owned one: no plane Buffers made on either side. */
  private scale(src: Frame, dst: Frame, target: AVPixelFormat): void {
    const key = `${src.format}:${src.width}x${src.height}:${target}`;
    if (!this.scaler || this.scalerKey !== key) {
      this.scaler?.freeContext();
      this.scaler = new SoftwareScaleContext();
      this.scaler.getContext(src.width, src.height, src.format as AVPixelFormat, src.width, src.height, target, SWS_BILINEAR);
      this.scalerKey = key;
    }
    const ret = this.scaler.scaleFrameSync(dst, src);
    if (ret < 0) throw this.fail(`colour conversion to ${target === AV_PIX_FMT_RGBA ? 'rgba' : 'yuv420p'} failed`, ret);
  }

  close(): void {
    this.scaler?.freeContext();
    this.scaler = null;
  }
}

/** The three planes of a yuv420p slot, each cut to its rows (strides as FFmpeg aligned them). */
function yuvPlanes(slot: Slot, height: number): VideoFrame['planes'] {
  const ch = (height + 1) >> 1;
  return [
    { data: bytes(slot.data[0].subarray(0, slot.linesize[0] * height)), stride: slot.linesize[0] },
    { data: bytes(slot.data[1].subarray(0, slot.linesize[1] * ch)), stride: slot.linesize[1] },
    { data: bytes(slot.data[2].subarray(0, slot.linesize[2] * ch)), stride: slot.linesize[2] },
  ];
}
