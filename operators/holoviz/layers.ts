import { z } from 'zod';
import { defineMessage } from '../../framework/index.ts';
import { VideoFrameSchema, type VideoFrame } from '../messages/index.ts';

export const GeometryType = z.enum(['points', 'lines', 'line_strip', 'triangles', 'rectangles', 'ovals', 'crosses', 'text']);
export type GeometryType = z.infer<typeof GeometryType>;
export const LayerType = z.enum(['color', ...GeometryType.options]);
export type LayerType = z.infer<typeof LayerType>;

const Rgba = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1), z.number().min(0).max(1), z.number().min(0).max(1)]);
/** A coordinate tuple: normalized [0,1] positions, origin top-left (plus sizes for ovals, crosses, text). */
const Coordinates = z.array(z.array(z.number().finite()).min(2).max(4));

/** One entry of HolovizOp's `tensors` param, like Holoviz's input specs. */
export const LayerSpec = z.object({
  name: z.string().min(1).describe('layer name; messages on `receivers` are matched to layers by it'),
  type: LayerType.describe('color: an image (VideoFrame); the rest are geometry'),
  opacity: z.number().min(0).max(1).default(1),
  priority: z.number().int().default(0).describe('higher priorities are drawn on top; equal priorities keep list order'),
  color: Rgba.default([1, 1, 1, 1]).describe('geometry color, RGBA in [0,1]'),
  line_width: z.number().positive().default(1).describe('pixels'),
  point_size: z.number().positive().default(1).describe('pixels'),
  text: z.array(z.string()).default([]).describe('text layers: one string per coordinate'),
  data: Coordinates.optional().describe('static geometry; messages replace it'),
}).strict();
export type LayerSpec = z.output<typeof LayerSpec>;
export type LayerSpecInput = z.input<typeof LayerSpec>;

/**
 * Dynamic geometry for a layer, sent on HolovizOp's `receivers`. `layer` names a layer of the
 * `tensors` param (whose style applies) or creates a new one, in which case `type` is required.
 * Coordinates are normalized with the origin top-left:
 * - points, line_strip: [x, y] each; lines: pairs; triangles: triples; rectangles: two corners
 * - ovals: [cx, cy, width, height]; crosses: [x, y, size]; text: [x, y, size] with `text[i]`
 *   (sizes are fractions of the render height, as in Holoviz)
 */
export const GeometryMessageSchema = z.object({
  layer: z.string().min(1),
  type: GeometryType.optional(),
  data: Coordinates,
  text: z.array(z.string()).optional(),
  color: Rgba.optional(),
  opacity: z.number().min(0).max(1).optional(),
  priority: z.number().int().optional(),
  line_width: z.number().positive().optional(),
  point_size: z.number().positive().optional(),
});
export type GeometryMessage = z.infer<typeof GeometryMessageSchema>;
export const GeometryMessage = defineMessage<GeometryMessage>('GeometryMessage', GeometryMessageSchema, 'geometry for a named Holoviz layer');

/** A frame for a named image layer, when a graph has more than one. A bare VideoFrame goes to the first `color` layer. */
export const ImageMessageSchema = z.object({ layer: z.string().min(1), frame: VideoFrameSchema });
export type ImageMessage = { layer: string; frame: VideoFrame };
export const ImageMessage = defineMessage<ImageMessage>('ImageMessage', ImageMessageSchema, 'a frame for a named Holoviz image layer');

export type HolovizInput = VideoFrame | ImageMessage | GeometryMessage;

/** What a message on `receivers` is, without zod in the hot path. */
export function classifyInput(v: unknown): { kind: 'frame'; frame: VideoFrame; layer: string | null } | { kind: 'geometry'; message: GeometryMessage } | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.format === 'string' && Array.isArray(o.planes)) return { kind: 'frame', frame: v as VideoFrame, layer: null };
  if (typeof o.layer === 'string') {
    if (typeof o.frame === 'object' && o.frame !== null) return { kind: 'frame', frame: o.frame as VideoFrame, layer: o.layer };
    if (Array.isArray(o.data)) return { kind: 'geometry', message: v as GeometryMessage };
  }
  return null;
}
