import { z } from 'zod';
import { defineMessage, type WireCodec } from '../../framework/index.ts';

/** Pixel layouts a VideoFrame can carry. Decoders emit their native YUV; HolovizOp converts on the GPU. */
export const PixelFormat = z.enum(['rgba', 'rgb', 'yuv420p', 'nv12', 'gray']);
export type PixelFormat = z.infer<typeof PixelFormat>;

export const ColorSpace = z.enum(['bt601', 'bt709']);
export const ColorRange = z.enum(['limited', 'full']);

const Plane = z.object({
  /** Plane bytes; may be a view into a decoder buffer valid until the next frame of the same stream. */
  data: z.instanceof(Uint8Array),
  /** Bytes per row, including padding. */
  stride: z.number().int().positive(),
});
export type Plane = z.infer<typeof Plane>;

export const VideoFrameSchema = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  format: PixelFormat,
  planes: z.array(Plane).min(1).max(3),
  /** Presentation time in milliseconds on the source's clock. */
  timestamp: z.number(),
  colorSpace: ColorSpace.optional(),
  colorRange: ColorRange.optional(),
});
export type VideoFrame = z.infer<typeof VideoFrameSchema>;

/** The header that travels beside the planes when a frame crosses a thread or process. */
const VideoFrameHeader = VideoFrameSchema.omit({ planes: true }).extend({ strides: z.array(z.number().int().positive()).min(1).max(3) });

/**
 * Planes cross as binary parts, never as JSON. A part may be a view into a larger buffer (a decoder's):
 * whoever transfers buffers must copy such a view rather than detach its owner's memory.
 */
const videoFrameWire: WireCodec<VideoFrame> = {
  encode: ({ planes, ...rest }) => ({ header: { ...rest, strides: planes.map((p) => p.stride) }, parts: planes.map((p) => p.data) }),
  decode: ({ header, parts }) => {
    const { strides, ...rest } = VideoFrameHeader.parse(header);
    if (parts.length !== strides.length) throw new Error(`VideoFrame: ${parts.length} planes arrived for ${strides.length} strides`);
    return { ...rest, planes: parts.map((data, i) => ({ data, stride: strides[i] })) };
  },
};

export const VideoFrame = defineMessage<VideoFrame>('VideoFrame', VideoFrameSchema, 'a picture: size, pixel format and planes', { wire: videoFrameWire });

/** Number of planes and their sizes for a format, so producers and consumers agree on layout. */
export function planeLayout(format: PixelFormat, width: number, height: number): { stride: number; rows: number }[] {
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  switch (format) {
    case 'rgba': return [{ stride: width * 4, rows: height }];
    case 'rgb': return [{ stride: width * 3, rows: height }];
    case 'gray': return [{ stride: width, rows: height }];
    case 'yuv420p': return [{ stride: width, rows: height }, { stride: cw, rows: ch }, { stride: cw, rows: ch }];
    case 'nv12': return [{ stride: width, rows: height }, { stride: cw * 2, rows: ch }];
  }
}

/** Allocates a tightly packed frame of the given format. */
export function allocateFrame(format: PixelFormat, width: number, height: number, timestamp = 0): VideoFrame {
  return {
    width, height, format, timestamp,
    planes: planeLayout(format, width, height).map(({ stride, rows }) => ({ data: new Uint8Array(stride * rows), stride })),
  };
}
