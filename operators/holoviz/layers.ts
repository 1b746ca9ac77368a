import { z } from 'zod';
import { Coordinates, GeometryType, Rgba, type GeometryMessage, type ImageMessage, type VideoFrame } from '../messages/index.ts';

export { GeometryMessage, GeometryMessageSchema, GeometryType, ImageMessage, ImageMessageSchema } from '../messages/index.ts';

export const LayerType = z.enum(['color', ...GeometryType.options]);
export type LayerType = z.infer<typeof LayerType>;


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
