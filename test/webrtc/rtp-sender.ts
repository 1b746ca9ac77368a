import { H264Packetizer, RtpHeader, RtpPacket, Vp8Packetizer, Vp9Packetizer, Av1Packetizer } from 'werift';
import type { CodecName } from '../../operators/webrtc/index.ts';
import type { VideoFrame } from '../../operators/messages/index.ts';
import { PATTERN, PatternEncoder, patternBox } from './encode.ts';

type Packetizer = { packetize(d: Buffer, ts: number, o?: unknown): RtpPacket[] };

/** werift's packetizer for a codec, as a browser would split frames (small packets: several per frame). */
export function packetizer(codec: CodecName, startSeq: number, maxPayloadSize = 120): Packetizer {
  const opts = { sequenceNumber: startSeq, payloadType: 96, ssrc: 1234, maxPayloadSize };
  return (codec === 'VP8' ? new Vp8Packetizer(opts) : codec === 'VP9' ? new Vp9Packetizer(opts) : codec === 'H264' ? new H264Packetizer(opts) : new Av1Packetizer(opts)) as Packetizer;
}

/** RTP packets for encoded frames, as a browser would send them; frame i has RTP timestamp i * 3000. */
export function packetize(codec: CodecName, frames: readonly { data: Buffer; keyframe: boolean }[], startSeq = 1000, maxPayloadSize = 120): RtpPacket[] {
  const p = packetizer(codec, startSeq, maxPayloadSize);
  return frames.flatMap((f, i) => p.packetize(f.data, i * 3000, { isKeyframe: f.keyframe }));
}

/** A padding-only packet as Chrome sends to probe bandwidth: P bit, no payload. */
export function paddingPacket(seq: number, timestamp: number): RtpPacket {
  const raw = new RtpPacket(new RtpHeader({ sequenceNumber: seq, timestamp, payloadType: 96, ssrc: 1234, padding: true, paddingSize: 200 }), Buffer.alloc(0)).serialize();
  return RtpPacket.deSerialize(raw);
}

/**
 * A sender without a network: encodes the moving pattern live and packetizes it, and answers a keyframe
 * request (PLI) with a keyframe on the next frame, as a browser does. Frame i has RTP timestamp i * 3000.
 */
export class PatternSender {
  private readonly encoder: PatternEncoder;
  private readonly rtp: Packetizer;
  private index = 0;
  private keyframeAsked = false;
  keyframeRequests = 0;

  constructor(readonly codec: CodecName, readonly width = 320, readonly height = 240, startSeq = 1000) {
    this.encoder = new PatternEncoder(codec, width, height, { gop: 100_000 });
    this.rtp = packetizer(codec, startSeq);
  }

  requestKeyframe(): void {
    this.keyframeRequests++;
    this.keyframeAsked = true;
  }

  /** The next frame's packets (a copy of each, as off the wire). */
  nextFrame(): { index: number; keyframe: boolean; packets: RtpPacket[] } {
    const index = this.index++;
    const forced = this.keyframeAsked;
    this.keyframeAsked = false;
    const aus = this.encoder.next(false, forced);
    const keyframe = aus.some((a) => a.keyframe);
    const packets = aus.flatMap((au) => this.rtp.packetize(au.data, index * 3000, { isKeyframe: au.keyframe }));
    return { index, keyframe, packets: packets.map((p) => RtpPacket.deSerialize(p.serialize())) };
  }

  close(): void { this.encoder.close(); }
}

/** Whether a decoded picture shows pattern frame `index`: green field, white box where frame `index` puts it. */
export function showsPattern(frame: VideoFrame, index: number): boolean {
  const [Y, U, V] = frame.planes;
  const { width, height } = frame;
  const box = patternBox(width, height, index);
  const inBox = Y.data[(box.y + (box.h >> 1)) * Y.stride + box.x + (box.w >> 1)];
  const field = Y.data[(height >> 4) * Y.stride + (width >> 1)];
  return Math.abs(inBox - PATTERN.box) < 12 && Math.abs(field - PATTERN.y) < 12
    && Math.abs(U.data[U.stride * 4 + 4] - PATTERN.u) < 8 && Math.abs(V.data[V.stride * 4 + 4] - PATTERN.v) < 8;
}
