import { z } from 'zod';
import { defineMessage } from '../../framework/index.ts';
import { VideoFrameSchema, type VideoFrame } from './video-frame.ts';

/**
 * Geometry and named images for a renderer (HolovizOp), as shared message types so that any operator
 * (a user's detector, say) can draw without knowing the renderer.
 */
export const GeometryType = z.enum(['points', 'lines', 'line_strip', 'triangles', 'rectangles', 'ovals', 'crosses', 'text']);
export type GeometryType = z.infer<typeof GeometryType>;

export const Rgba = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1), z.number().min(0).max(1), z.number().min(0).max(1)]);
/** A coordinate tuple: normalized [0,1] positions, origin top-left (plus sizes for ovals, crosses, text). */
export const Coordinates = z.array(z.array(z.number().finite()).min(2).max(4));

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
