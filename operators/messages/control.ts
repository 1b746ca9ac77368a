import { z } from 'zod';
import { defineMessage } from '../../framework/index.ts';

/**
 * A setting sent from a browser page (POST /control on WebServerOp): a JSON object whose meaning the
 * receiving operator defines (webrtc_holoviz_server's scene reads `box`, `circle`, `text`, `color`).
 */
export const ControlSchema = z.record(z.string(), z.unknown());
export type Control = z.infer<typeof ControlSchema>;
export const Control = defineMessage<Control>('Control', ControlSchema, 'a JSON object of settings from a browser page');
