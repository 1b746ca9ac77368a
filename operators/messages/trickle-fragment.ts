/**
 * Candidates from a WHIP or WHEP PATCH body (application/trickle-ice-sdpfrag, RFC 8840). werift parses whole
 * SDP documents only; a fragment is just `a=` lines grouped under `m=`/`a=mid:`, so reading those lines
 * is all it takes.
 */
export interface FragmentCandidate {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
}

export interface ParsedFragment {
  iceUfrag: string | null;
  candidates: FragmentCandidate[];
  endOfCandidates: boolean;
}

export function parseTrickleFragment(fragment: string): ParsedFragment {
  const out: ParsedFragment = { iceUfrag: null, candidates: [], endOfCandidates: false };
  let mid: string | null = null;
  let mLineIndex = -1;
  for (const raw of fragment.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) { mLineIndex++; mid = null; continue; }
    if (!line.startsWith('a=')) continue;
    const colon = line.indexOf(':');
    const attr = colon < 0 ? line.slice(2) : line.slice(2, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1);
    switch (attr) {
      case 'ice-ufrag': out.iceUfrag = value; break;
      case 'mid': mid = value; break;
      case 'candidate': out.candidates.push({ candidate: `candidate:${value}`, sdpMid: mid, sdpMLineIndex: mLineIndex >= 0 ? mLineIndex : (mid === null ? 0 : null) }); break;
      case 'end-of-candidates': out.endOfCandidates = true; break;
    }
  }
  if (out.candidates.length === 0 && !out.endOfCandidates && out.iceUfrag === null) {
    throw new Error('the fragment has no a=candidate, a=end-of-candidates or a=ice-ufrag line');
  }
  return out;
}
