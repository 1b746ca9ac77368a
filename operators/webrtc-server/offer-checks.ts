import { SessionDescription } from 'werift';
import { SignalingError } from '../messages/index.ts';
import { SEND_CODECS, type SendCodecName } from './send-codecs.ts';
import type { DtlsSetup } from '../rtc/answerer-transport.ts';

/** A WHEP offer this operator cannot answer, with the HTTP status the viewer gets. */
export class ViewerError extends SignalingError {
  constructor(status: number, message: string) {
    super(status, message);
    this.name = 'ViewerError';
  }
}

/** a=setup values (RFC 5763) by werift's name for the DTLS role they give the offerer. */
const SETUP_OF_ROLE = { auto: 'actpass', client: 'active', server: 'passive' } as const;

/**
 * What a viewer's offer must be: SDP with a video m-line that receives (recvonly, or sendrecv of which
 * only the receiving half is used) and lists the codec this stream sends. Returns the video section's
 * a=setup (actpass when absent), which the answer's DTLS role depends on.
 */
export function checkViewerOffer(sdp: unknown, codec: SendCodecName): { dtlsSetup: DtlsSetup } {
  if (typeof sdp !== 'string' || !sdp.startsWith('v=0')) throw new ViewerError(400, 'the offer is not SDP: it must start with "v=0"');
  let parsed: SessionDescription;
  try {
    parsed = SessionDescription.parse(sdp);
  } catch (err) {
    throw new ViewerError(400, `the offer is not valid SDP: ${(err as Error).message}`);
  }
  const video = parsed.media.filter((m) => m.kind === 'video');
  if (video.length === 0) throw new ViewerError(400, 'the offer has no video (no "m=video" line); this endpoint sends video');
  const m = video[0];
  if (m.direction !== 'recvonly' && m.direction !== 'sendrecv') {
    throw new ViewerError(400, `the offer's video is ${m.direction ?? 'without a direction'}: a WHEP viewer offers recvonly`);
  }
  const mime = SEND_CODECS[codec].mimeType.toLowerCase();
  const offered = m.rtp.codecs.map((c) => c.mimeType);
  const usable = m.rtp.codecs.some((c) => c.mimeType.toLowerCase() === mime && (codec !== 'H264' || /packetization-mode=1/.test(c.parameters ?? '')));
  if (!usable) {
    const names = [...new Set(offered.map((x) => x.split('/')[1]))].join(', ') || 'none';
    throw new ViewerError(400, `this stream is ${codec}${codec === 'H264' ? ' (packetization-mode 1)' : ''}, which the offer does not list (offered: ${names})`);
  }
  return { dtlsSetup: SETUP_OF_ROLE[m.dtlsParams?.role ?? parsed.dtlsRole ?? 'auto'] ?? 'actpass' };
}
