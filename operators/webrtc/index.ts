export { WebRTCClientOp } from './webrtc-client-op.ts';
export { WebRTCClientParams } from './params.ts';
export { WebRTCSession, SignalingError, type SessionOptions, type PictureMeta } from './session.ts';
export { FrameAssembler, seqDiff, type EncodedFrame, type AssemblerStats } from './frame-assembler.ts';
export { VideoDecoder, DecodeError, RING_SIZE, type OutputFormat } from './video-decoder.ts';
export { CODECS, CODEC_NAMES, codecsForOffer, type CodecName } from './codecs.ts';
export { parseTrickleFragment } from '../messages/trickle-fragment.ts';
export { offerProblem, OFFER_LIMITS } from './offer-checks.ts';
