/**
 * Cheap checks before a body travels to the WebRTC operator: they catch the common mistakes (a JSON
 * body on the WHIP endpoint, an audio-only publisher, a truncated paste) with a clear 400, while the
 * full reading stays with the WebRTC operator (operators/webrtc/offer.ts, once per offer). These are
 * three prefix tests, not a parse; the server may front any signaling consumer, so it keeps them.
 */
export function sdpOfferProblem(sdp: unknown): string | null {
  if (typeof sdp !== 'string' || sdp.length === 0) return 'the offer has no SDP text';
  if (!sdp.startsWith('v=0')) return 'the body is not SDP: it must start with "v=0"';
  if (!/^m=video /m.test(sdp)) return 'the offer has no video (no "m=video" line); this server receives video';
  return null;
}

/** A trickle ICE fragment (RFC 8840) must carry candidates or end-of-candidates, and ICE credentials. */
export function sdpFragProblem(frag: unknown): string | null {
  if (typeof frag !== 'string' || frag.trim().length === 0) return 'the trickle ICE fragment is empty';
  if (!/^a=(candidate:|end-of-candidates|ice-ufrag:)/m.test(frag)) return 'the body is not a trickle ICE fragment: it has no a=candidate, a=end-of-candidates or a=ice-ufrag line';
  return null;
}

export interface CandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

/** An RTCIceCandidateInit as the browser's `icecandidate` event gives it; "" means end of candidates. */
export function candidateProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'expected a JSON object like {"candidate": "candidate:...", "sdpMid": "0", "sdpMLineIndex": 0}';
  const c = body as Record<string, unknown>;
  if (typeof c.candidate !== 'string') return '"candidate" must be a string ("" marks the end of candidates)';
  if (c.candidate !== '' && !/^(a=)?candidate:/.test(c.candidate)) return '"candidate" must start with "candidate:"';
  if (c.sdpMid !== undefined && c.sdpMid !== null && typeof c.sdpMid !== 'string') return '"sdpMid" must be a string or null';
  if (c.sdpMLineIndex !== undefined && c.sdpMLineIndex !== null && !(Number.isInteger(c.sdpMLineIndex) && (c.sdpMLineIndex as number) >= 0)) return '"sdpMLineIndex" must be a non-negative integer or null';
  return null;
}

/** Session ids come from the WebRTC operator; anything else in the URL cannot name a session. */
export function isSessionId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,128}$/.test(id);
}
