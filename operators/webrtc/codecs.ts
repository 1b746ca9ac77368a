import { AV1RtpPayload, RTCRtpCodecParameters, codecParametersFromString, dePacketizeRtpPackets, useNACK, usePLI, type DepacketizerCodec, type RtpPacket } from 'werift';
import type { DepacketizedFrame } from './descriptor-payloads.ts';
import { depacketizeH264 } from './h264-depacketizer.ts';
import { depacketizeVp8, readVp8Descriptor } from './vp8-depacketizer.ts';
import { depacketizeVp9, readVp9Descriptor } from './vp9-depacketizer.ts';
import { VideoCodecName } from '../messages/index.ts';
import type { OfferedCodec, ParsedOffer } from './offer.ts';

/** The video codecs a WebRTC session can receive: every codec holots knows. */
export const CODEC_NAMES = VideoCodecName.options;
export type CodecName = VideoCodecName;

/**
 * Everything the receive path knows about one codec, in one record: adding a codec is one entry here
 * (plus its option on the page). The assembler, the decoder and the SDP answer read only this.
 */
export interface CodecInfo {
  name: CodecName;
  mimeType: string;
  /** One whole frame's packets, in order, to the decoder's input (throws on a malformed payload). */
  depacketize(packets: readonly RtpPacket[]): DepacketizedFrame;
  /** FFmpeg decoder (libdav1d for AV1: FFmpeg's native `av1` decoder needs a hardware accelerator). */
  decoder: string;
  /**
   * The fmtp lines werift is configured with before it reads the offer (werift matches some codecs by
   * their parameters, so a configured entry must agree with what the offer has), from the offer's own
   * entries for this codec.
   */
  configuredFmtp(offered: readonly OfferedCodec[]): string[];
  /** The offered entries our answer may keep, best first. */
  answerable(offered: readonly OfferedCodec[]): OfferedCodec[];
  /** Whether an RTP payload is the first packet of a frame (read with werift's payload parsers). */
  startsFrame(payload: Buffer): boolean;
}

/** The H.264 profile we ask for when the offer leaves the choice to us (constrained baseline 3.1). */
const PREFERRED_H264_PROFILE = '42e01f';

const fmtp = (c: OfferedCodec) => codecParametersFromString(c.fmtp ?? '');
const h264Profile = (c: OfferedCodec): string => {
  const p = fmtp(c)['profile-level-id'];
  return p === undefined ? '' : String(p).toLowerCase().padStart(6, '0');
};
const h264Answerable = (offered: readonly OfferedCodec[]) => offered
  .filter((c) => Number(fmtp(c)['packetization-mode']) === 1)
  .sort((a, b) => Number(h264Profile(b) === PREFERRED_H264_PROFILE) - Number(h264Profile(a) === PREFERRED_H264_PROFILE));
const everything = (offered: readonly OfferedCodec[]) => [...offered];
const parsed = (test: () => boolean) => { try { return test(); } catch { return false; } };
/** werift's payload formats, used once per complete frame. */
const werift = (codec: DepacketizerCodec) => (packets: readonly RtpPacket[]): DepacketizedFrame => {
  const { data, isKeyframe } = dePacketizeRtpPackets(codec, [...packets]);
  return { data, keyframe: isKeyframe };
};

export const CODECS: Record<CodecName, CodecInfo> = {
  VP8: {
    name: 'VP8', mimeType: 'video/VP8', decoder: 'vp8',
    // Ours, not werift's: see vp8-depacketizer.ts (werift reads each descriptor bit through strings).
    depacketize: (packets) => depacketizeVp8(packets.map((p) => p.payload)),
    configuredFmtp: () => [''],
    answerable: everything,
    startsFrame: (payload) => parsed(() => readVp8Descriptor(payload).startsFrame),
  },
  VP9: {
    name: 'VP9', mimeType: 'video/VP9', decoder: 'vp9',
    // Ours, not werift's: see vp9-depacketizer.ts.
    depacketize: (packets) => depacketizeVp9(packets.map((p) => p.payload)),
    configuredFmtp: () => ['profile-id=0'],
    // Profile 0 is 8-bit 4:2:0; other profiles would not fit a yuv420p VideoFrame.
    answerable: (offered) => offered.filter((c) => Number(fmtp(c)['profile-id'] ?? 0) === 0),
    startsFrame: (payload) => parsed(() => readVp9Descriptor(payload).startsFrame),
  },
  H264: {
    name: 'H264', mimeType: 'video/H264', decoder: 'h264',
    // Ours, not werift's: see h264-depacketizer.ts (the hottest JavaScript of an H.264 session).
    depacketize: (packets) => depacketizeH264(packets.map((p) => p.payload)),
    // werift matches H.264 by exact profile-level-id, so a fixed list would turn away an encoder that
    // offers, say, High 4.0 (FFmpeg's WHIP muxer offers whatever its encoder makes). FFmpeg decodes every
    // 8-bit profile, so each packetization-mode=1 profile the offer has is configured, the preferred first.
    configuredFmtp: (offered) => [...new Set([PREFERRED_H264_PROFILE, ...h264Answerable(offered).map(h264Profile).filter(Boolean)])]
      .map((profile) => `profile-level-id=${profile};packetization-mode=1;level-asymmetry-allowed=1`),
    // The first entry wins in werift whatever its packetization mode: only mode 1, 42e01f first.
    answerable: h264Answerable,
    startsFrame: (payload) => {
      const nal = payload[0] & 0x1f;
      // FU-A carries its start bit; single NAL units and STAP-A begin a NAL unit.
      if (nal === 28 || nal === 29) return (payload[1] & 0x80) !== 0;
      return nal >= 1 && nal <= 24;
    },
  },
  AV1: {
    name: 'AV1', mimeType: 'video/AV1', depacketize: werift('AV1'), decoder: 'libdav1d',
    configuredFmtp: () => [''],
    answerable: everything,
    startsFrame: (payload) => parsed(() => AV1RtpPayload.deSerialize(payload).zBit_RtpStartsWithFragment === 0),
  },
};

export function codecFromMime(mimeType: string): CodecInfo | undefined {
  const sub = mimeType.split('/')[1]?.toUpperCase();
  if (sub === 'AV1X') return CODECS.AV1;
  return CODEC_NAMES.includes(sub as CodecName) ? CODECS[sub as CodecName] : undefined;
}

export interface CodecConfigOptions {
  codecs: readonly CodecName[];
  /** x-google-min-bitrate in the answer's fmtp; 0 leaves it out. */
  minBitrateKbps: number;
  /** x-google-start-bitrate in the answer's fmtp; 0 leaves it out. */
  startBitrateKbps: number;
}

/**
 * Only nack and pli feedback: transport-cc wrecks Chrome's bandwidth estimate against werift (findings
 * trap 2), so neither its feedback nor its header extension is configured or answered.
 */
const feedback = () => [useNACK(), usePLI()];

/** `x-google-min/start-bitrate` in the answer's fmtp let Chrome start at full rate on a LAN. */
function googleHints(options: CodecConfigOptions): string[] {
  return [
    options.minBitrateKbps ? `x-google-min-bitrate=${options.minBitrateKbps}` : '',
    options.startBitrateKbps ? `x-google-start-bitrate=${options.startBitrateKbps}` : '',
  ].filter(Boolean);
}

/** What one session's peer connection is configured to receive, built from the offer itself. */
export function codecsForOffer(offer: ParsedOffer, options: CodecConfigOptions): RTCRtpCodecParameters[] {
  const google = googleHints(options);
  return options.codecs.flatMap((name) => {
    const info = CODECS[name];
    const offered = offer.videoCodecs.filter((c) => codecFromMime(c.mimeType) === info);
    return info.configuredFmtp(offered).map((base) => new RTCRtpCodecParameters({
      mimeType: info.mimeType, clockRate: 90000, rtcpFeedback: feedback(),
      parameters: [base, ...google].filter(Boolean).join(';') || undefined,
    }));
  });
}

/**
 * The codecs our answer lists for the offered video m-line, in our order of preference.
 *
 * werift answers with the offer's own codec entries, rtcp-fb lines included, so Chrome's transport-cc
 * and goog-remb would come straight back in the answer (trap 2) and no fmtp of ours would be sent. So the
 * negotiated list is rebuilt here from the offer's payload types: our feedback, the offer's format
 * parameters plus the x-google bitrate hints, each codec's own answer rule, and the rtx entries that
 * belong to a kept payload type so NACK retransmissions keep working.
 */
export function answerCodecs(offer: ParsedOffer, options: CodecConfigOptions): RTCRtpCodecParameters[] {
  const google = googleHints(options);
  const chosen: RTCRtpCodecParameters[] = [];
  for (const name of options.codecs) {
    const info = CODECS[name];
    for (const c of info.answerable(offer.videoCodecs.filter((o) => codecFromMime(o.mimeType) === info))) {
      const own = (c.fmtp ?? '').split(';').map((s) => s.trim()).filter((s) => s && !s.startsWith('x-google-'));
      chosen.push(new RTCRtpCodecParameters({
        payloadType: c.payloadType, mimeType: info.mimeType, clockRate: c.clockRate,
        rtcpFeedback: feedback(), parameters: [...own, ...google].join(';') || undefined,
      }));
    }
  }
  const kept = new Set(chosen.map((c) => c.payloadType));
  const rtx = offer.videoCodecs.filter((c) => c.name.toLowerCase() === 'rtx' && kept.has(Number(fmtp(c).apt)))
    .map((c) => new RTCRtpCodecParameters({ payloadType: c.payloadType, mimeType: c.mimeType, clockRate: c.clockRate, rtcpFeedback: [], parameters: c.fmtp }));
  return [...chosen, ...rtx];
}
