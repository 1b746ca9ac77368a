import { z } from 'zod';
import { IceServerSchema } from '../messages/index.ts';
import { SEND_CODEC_NAMES } from './send-codecs.ts';

/** WebRTCServerOp's parameters, snake_case as in Holoscan YAML. */
export const WebRTCServerParams = z.object({
  codec: z.enum(SEND_CODEC_NAMES).default('H264').describe('what viewers receive: H264 (libx264, constrained baseline) or VP8 (libvpx)'),
  bitrate_kbps: z.number().int().min(100).default(4000).describe('encoder bitrate ceiling; viewers\' REMB estimates lower it'),
  min_bitrate_kbps: z.number().int().min(50).default(300).describe('the bitrate never goes below this, whatever a viewer estimates'),
  keyframe_interval: z.number().int().nonnegative().default(120).describe('frames between periodic keyframes (0: only when a viewer joins or asks)'),
  fps: z.number().positive().default(30).describe('the frame rate the encoder plans its rate control for'),
  max_viewers: z.number().int().positive().default(16).describe('viewers at once; more are answered 429'),
  zero_playout_delay: z.boolean().default(true).describe('ask browsers to show each frame as soon as it is decoded (playout-delay 0): 3-4x lower latency'),
  ice_servers: z.array(IceServerSchema).default([])
    .describe('STUN/TURN servers for the server\'s peer connections and the viewer page\'s (GET /whep/config): URLs, or {urls, username, credential} for TURN with credentials; none by default: host candidates serve LAN and loopback'),
  additional_host_addresses: z.array(z.string()).default(['127.0.0.1'])
    .describe('extra host candidate addresses; 127.0.0.1 makes loopback viewers work (werift skips loopback otherwise)'),
  connect_timeout_ms: z.number().int().positive().default(15_000).describe('how long a viewer may take to connect after its answer before it is dropped'),
  rtcp_timeout_ms: z.number().int().min(1000).default(5000).describe('a connected viewer that sends no RTCP for this long has vanished and is reaped (ICE consent alone takes 30 s)'),
  disconnect_grace_ms: z.number().nonnegative().default(3000).describe('how long a viewer\'s ICE may stay disconnected (consent lapsed) before it is reaped'),
}).strict().refine((p) => p.min_bitrate_kbps <= p.bitrate_kbps, { message: 'min_bitrate_kbps is above bitrate_kbps', path: ['min_bitrate_kbps'] });

export type WebRTCServerParams = z.output<typeof WebRTCServerParams>;
