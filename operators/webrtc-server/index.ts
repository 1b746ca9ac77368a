export { WebRTCServerOp } from './webrtc-server-op.ts';
export { WebRTCServerParams } from './params.ts';
export { splitCompoundRtcp, installCompoundRtcpSplit } from './rtcp-compound.ts';
export { SEND_CODECS, SEND_CODEC_NAMES, H264_FMTP, PLAYOUT_DELAY_URI, type SendCodecName } from './send-codecs.ts';
export { checkViewerOffer, ViewerError } from './offer-checks.ts';
export { Viewer, RETRANSMIT_HISTORY, type ViewerStats } from './viewer.ts';
export { Broadcast, type BroadcastStats } from './broadcast.ts';
