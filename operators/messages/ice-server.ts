import { z } from 'zod';

const ICE_URL = z.string().regex(/^(stun|stuns|turn|turns):/, 'an ICE server URL starts with stun:, stuns:, turn: or turns:');

/**
 * One STUN/TURN server as RTCPeerConnection's `iceServers` takes it: a plain URL, or
 * `{ urls, username, credential }` for a TURN server that wants credentials. The same list configures
 * the server's peer connections and the browser page's (through GET /config).
 */
export const IceServerSchema = z.union([
  ICE_URL,
  z.object({
    urls: z.union([ICE_URL, z.array(ICE_URL).min(1)]),
    username: z.string().optional(),
    credential: z.string().optional(),
  }).strict(),
]);

export type IceServer = z.output<typeof IceServerSchema>;

/** The form RTCPeerConnection (browser and werift alike) takes: always an object. */
export interface RTCIceServerInit { urls: string | string[]; username?: string; credential?: string }

export function toRTCIceServer(server: IceServer): RTCIceServerInit {
  return typeof server === 'string' ? { urls: server } : { ...server };
}

/** What a page needs to build its RTCPeerConnection like the server's (a signaling reply, so it may cross processes). */
export const PeerConfigurationSchema = z.object({
  iceServers: z.array(z.object({ urls: z.union([z.string(), z.array(z.string())]), username: z.string().optional(), credential: z.string().optional() })),
});

export type PeerConfiguration = z.output<typeof PeerConfigurationSchema>;
