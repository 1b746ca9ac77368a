import { RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters, RTP_EXTENSION_URI, useFIR, useNACK, usePLI, useREMB } from 'werift';

/** The codecs WebRTCServerOp encodes and sends (the ones every browser decodes in software). */
export const SEND_CODEC_NAMES = ['H264', 'VP8'] as const;
export type SendCodecName = (typeof SEND_CODEC_NAMES)[number];

/**
 * H.264 constrained baseline 3.1, packetization-mode 1: what x264's baseline profile makes and what every
 * browser decodes. The track carries this codec so werift answers with it, not with the offer's first
 * H264 (Chromium lists 42001f first; findings trap 4).
 */
export const H264_FMTP = 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1';

export interface SendCodec {
  mimeType: string;
  fmtp?: string;
}

/** How each codec is described in SDP; its encoder and settings live in operators/media (use 'streaming'). */
export const SEND_CODECS: Record<SendCodecName, SendCodec> = {
  H264: { mimeType: 'video/H264', fmtp: H264_FMTP },
  VP8: { mimeType: 'video/VP8' },
};

/**
 * Feedback the viewer may send: NACK (retransmit), PLI and FIR (keyframe), REMB (its bandwidth estimate).
 * No transport-cc: against werift its estimate collapses to ~150 kbps on a clean link (findings trap 3).
 */
export function sendCodecParameters(name: SendCodecName): RTCRtpCodecParameters {
  const c = SEND_CODECS[name];
  return new RTCRtpCodecParameters({
    mimeType: c.mimeType, clockRate: 90000, parameters: c.fmtp,
    rtcpFeedback: [useNACK(), usePLI(), useFIR(), useREMB()],
  });
}

/** Chromium's playout-delay extension: min and max target delay in 10 ms units, 12 bits each. */
export const PLAYOUT_DELAY_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay';
/** min = max = 0: render as soon as decoded (3-4x lower latency than Chromium's default; findings trap 5). */
export const PLAYOUT_DELAY_ZERO = Buffer.from([0, 0, 0]);

/** abs-send-time feeds the viewer's REMB estimator; playout-delay asks for no jitter buffer delay. */
export function sendHeaderExtensions(): RTCRtpHeaderExtensionParameters[] {
  return [
    new RTCRtpHeaderExtensionParameters({ id: 3, uri: RTP_EXTENSION_URI.absSendTime }),
    new RTCRtpHeaderExtensionParameters({ id: 6, uri: PLAYOUT_DELAY_URI }),
  ];
}

/** The codec named by an EncodedFrame, if this operator can send it. */
export function asSendCodec(name: string): SendCodecName | undefined {
  return (SEND_CODEC_NAMES as readonly string[]).includes(name) ? (name as SendCodecName) : undefined;
}
