import { z } from 'zod';
import { defineMessage, type WireCodec } from '../../framework/index.ts';

/** The compressed video formats holots receives, records, replays and sends. */
export const VideoCodecName = z.enum(['VP8', 'VP9', 'H264', 'AV1']);
export type VideoCodecName = z.infer<typeof VideoCodecName>;

export const EncodedFrameSchema = z.object({
  codec: VideoCodecName,
  /** A frame a decoder can start from (IDR for H264, a key frame for VP8/VP9/AV1). */
  keyframe: z.boolean(),
  /**
   * Presentation time in milliseconds on the source's clock (for WebRTC the RTP timestamp / 90, the same
   * clock as the VideoFrames decoded from it, so the two can be paired).
   */
  timestamp: z.number(),
  /**
   * One whole access unit: VP8/VP9 frames as RTP depacketizers and IVF/WebM give them, H264 as Annex B
   * (start codes, SPS/PPS before each IDR), AV1 as a low-overhead bitstream (OBUs with size fields).
   */
  data: z.instanceof(Uint8Array),
  /** The stream it belongs to (a WebRTC session id, a file name), so one port can carry several. */
  streamId: z.string().optional(),
  /** Picture size when the producer knows it (a container, a decoder that already saw the stream). */
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  /**
   * The stream ended (a WebRTC session closed, a replayed file ran out): `data` is empty and nothing else
   * of this streamId follows. A recorder finishes that stream's file on it.
   */
  endOfStream: z.literal(true).optional(),
});
export type EncodedFrame = z.infer<typeof EncodedFrameSchema>;

const EncodedFrameHeader = EncodedFrameSchema.omit({ data: true });

const encodedFrameWire: WireCodec<EncodedFrame> = {
  encode: ({ data, ...rest }) => ({ header: rest, parts: [data] }),
  decode: ({ header, parts }) => {
    if (parts.length !== 1) throw new Error(`EncodedFrame: expected 1 part, got ${parts.length}`);
    return { ...EncodedFrameHeader.parse(header), data: parts[0] };
  },
};

/** What arrived (or will be sent) before decoding: recorders write it, relays forward it, replayers emit it. */
export const EncodedFrame = defineMessage<EncodedFrame>('EncodedFrame', EncodedFrameSchema, 'a compressed video frame: codec, keyframe flag, timestamp, bytes', { wire: encodedFrameWire });
