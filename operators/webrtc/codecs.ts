import { RTCRtpCodecParameters, SessionDescription, useNACK, usePLI, codecParametersFromString, type DepacketizerCodec } from 'werift';
import { VideoCodecName } from '../messages/index.ts';

/** The video codecs a WebRTC session can receive: every codec holots knows. */
export const CODEC_NAMES = VideoCodecName.options;
export type CodecName = VideoCodecName;

export interface CodecInfo {
  name: CodecName;
  mimeType: string;
  /** werift's name for the codec in `dePacketizeRtpPackets`. */
  depacketizer: DepacketizerCodec;
  /** FFmpeg decoder (libdav1d for AV1: FFmpeg's native `av1` decoder needs a hardware accelerator). */
  decoder: string;
}

export const CODECS: Record<CodecName, CodecInfo> = {
  VP8: { name: 'VP8', mimeType: 'video/VP8', depacketizer: 'VP8', decoder: 'vp8' },
  VP9: { name: 'VP9', mimeType: 'video/VP9', depacketizer: 'VP9', decoder: 'vp9' },
  H264: { name: 'H264', mimeType: 'video/H264', depacketizer: 'MPEG4/ISO/AVC', decoder: 'h264' },
  AV1: { name: 'AV1', mimeType: 'video/AV1', depacketizer: 'AV1', decoder: 'libdav1d' },
};

export function codecFromMime(mimeType: string): CodecInfo | undefined {
  const sub = mimeType.split('/')[1]?.toUpperCase();
  if (sub === 'AV1X') return CODECS.AV1;
  return CODEC_NAMES.includes(sub as CodecName) ? CODECS[sub as CodecName] : undefined;
}

export interface CodecConfigOptions {
  codecs: readonly CodecName[];
  minBitrateKbps?: number;
  startBitrateKbps?: number;
}

/** The H.264 profile we ask for when the offer leaves the choice to us (constrained baseline 3.1). */
const PREFERRED_H264_PROFILE = '42e01f';

/**
 * What one session's peer connection is configured to receive, built from the offer itself.
 *
 * werift matches H.264 by exact profile-level-id, so a fixed list would turn away an encoder that
 * offers, say, High 4.0 (FFmpeg's WHIP muxer offers whatever its encoder makes). FFmpeg decodes every
 * 8-bit profile, so each packetization-mode=1 profile the offer has is accepted, the preferred one first.
 *
 * Each codec gets nack and pli feedback and nothing else: transport-cc wrecks Chrome's bandwidth
 * estimate against werift (findings trap 2), so neither its feedback nor its header extension is
 * configured. `x-google-min/start-bitrate` in the answer's fmtp let Chrome start at full rate on a LAN.
 */
export function codecsForOffer(offerSdp: string, options: CodecConfigOptions): RTCRtpCodecParameters[] {
  const feedback = () => [useNACK(), usePLI()];
  const google = [
    options.minBitrateKbps ? `x-google-min-bitrate=${options.minBitrateKbps}` : '',
    options.startBitrateKbps ? `x-google-start-bitrate=${options.startBitrateKbps}` : '',
  ].filter(Boolean).join(';');
  const withGoogle = (base: string) => [base, google].filter(Boolean).join(';') || undefined;
  const out: RTCRtpCodecParameters[] = [];
  for (const name of options.codecs) {
    const info = CODECS[name];
    if (name === 'H264') {
      const profiles = new Set<string>([PREFERRED_H264_PROFILE]);
      for (const p of offeredH264Profiles(offerSdp)) profiles.add(p);
      for (const profile of profiles) {
        out.push(new RTCRtpCodecParameters({
          mimeType: info.mimeType, clockRate: 90000, rtcpFeedback: feedback(),
          parameters: withGoogle(`profile-level-id=${profile};packetization-mode=1;level-asymmetry-allowed=1`),
        }));
      }
    } else if (name === 'VP9') {
      out.push(new RTCRtpCodecParameters({ mimeType: info.mimeType, clockRate: 90000, rtcpFeedback: feedback(), parameters: withGoogle('profile-id=0') }));
    } else {
      out.push(new RTCRtpCodecParameters({ mimeType: info.mimeType, clockRate: 90000, rtcpFeedback: feedback(), parameters: withGoogle('') }));
    }
  }
  return out;
}

/** profile-level-ids of the offer's H.264 payloads with packetization-mode=1, lower-cased. */
export function offeredH264Profiles(offerSdp: string): string[] {
  let parsed: SessionDescription;
  try {
    parsed = SessionDescription.parse(offerSdp);
  } catch {
    return [];
  }
  const profiles: string[] = [];
  for (const media of parsed.media) {
    if (media.kind !== 'video') continue;
    for (const codec of media.rtp.codecs) {
      if (codec.mimeType.toLowerCase() !== 'video/h264') continue;
      const params = codecParametersFromString(codec.parameters ?? '');
      if (Number(params['packetization-mode']) !== 1) continue;
      const profile = params['profile-level-id'];
      if (profile !== undefined) profiles.push(String(profile).toLowerCase().padStart(6, '0'));
    }
  }
  return profiles;
}

/** The video codec names an offer lists (for error messages), e.g. ['VP8', 'rtx']. */
export function offeredVideoCodecs(offerSdp: string): string[] {
  try {
    const parsed = SessionDescription.parse(offerSdp);
    return [...new Set(parsed.media.filter((m) => m.kind === 'video').flatMap((m) => m.rtp.codecs.map((c) => c.name)))];
  } catch {
    return [];
  }
}

/**
 * The codecs our answer lists for one offered video m-line, in our order of preference.
 *
 * werift answers with the offer's own codec entries, rtcp-fb lines included, so Chrome's transport-cc
 * and goog-remb would come straight back in the answer (trap 2), no fmtp of ours would be sent, and for
 * H.264 the first entry wins whatever its packetization mode. So the negotiated list is rebuilt here from
 * the offer's payload types: our feedback (nack, nack pli), the offer's format parameters plus the
 * x-google bitrate hints, H.264 only with packetization-mode=1 (preferring 42e01f), and the rtx entries
 * that belong to a kept payload type so NACK retransmissions keep working.
 */
export function answerCodecs(offered: readonly RTCRtpCodecParameters[], options: CodecConfigOptions): RTCRtpCodecParameters[] {
  const google = [
    options.minBitrateKbps ? `x-google-min-bitrate=${options.minBitrateKbps}` : '',
    options.startBitrateKbps ? `x-google-start-bitrate=${options.startBitrateKbps}` : '',
  ].filter(Boolean);
  const chosen: RTCRtpCodecParameters[] = [];
  for (const name of options.codecs) {
    const info = CODECS[name];
    let candidates = offered.filter((c) => codecFromMime(c.mimeType)?.name === info.name);
    if (name === 'H264') {
      candidates = candidates
        .filter((c) => Number(codecParametersFromString(c.parameters ?? '')['packetization-mode']) === 1)
        .sort((a, b) => Number(h264Profile(b) === PREFERRED_H264_PROFILE) - Number(h264Profile(a) === PREFERRED_H264_PROFILE));
    } else if (name === 'VP9') {
      // Profile 0 is 8-bit 4:2:0; other profiles would not fit a yuv420p VideoFrame.
      candidates = candidates.filter((c) => Number(codecParametersFromString(c.parameters ?? '')['profile-id'] ?? 0) === 0);
    }
    for (const c of candidates) {
      const own = (c.parameters ?? '').split(';').map((s) => s.trim()).filter((s) => s && !s.startsWith('x-google-'));
      chosen.push(new RTCRtpCodecParameters({
        payloadType: c.payloadType, mimeType: info.mimeType, clockRate: c.clockRate,
        rtcpFeedback: [useNACK(), usePLI()],
        parameters: [...own, ...google].join(';') || undefined,
      }));
    }
  }
  const kept = new Set(chosen.map((c) => c.payloadType));
  const rtx = offered.filter((c) => c.name.toLowerCase() === 'rtx' && kept.has(Number(codecParametersFromString(c.parameters ?? '').apt)))
    .map((c) => new RTCRtpCodecParameters({ payloadType: c.payloadType, mimeType: c.mimeType, clockRate: c.clockRate, rtcpFeedback: [], parameters: c.parameters }));
  return [...chosen, ...rtx];
}

function h264Profile(c: RTCRtpCodecParameters): string {
  const p = codecParametersFromString(c.parameters ?? '')['profile-level-id'];
  return p === undefined ? '' : String(p).toLowerCase().padStart(6, '0');
}
