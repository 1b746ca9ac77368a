/**
 * The one reading of an SDP offer on our side: structural checks, and the offered video codecs the
 * configuration and the answer are built from. (werift's setRemoteDescription parses it once more,
 * inside the library.)
 *
 * Why the checks: *
 * werift's parser is lenient by design: it answers an offer with no ICE credentials, no DTLS
 * fingerprint, a payload type of 99999 or three thousand m-lines (each a transceiver), and the session
 * it creates can never connect. On a server that listens beyond loopback each such answer would hold a
 * `max_sessions` place and memory, so an offer that cannot lead to a DTLS-SRTP video stream is refused
 * here with a 400 that says why. Only what a browser, OBS or FFmpeg always sends is required.
 */
import { DTLS_SETUPS, type DtlsSetup } from '../rtc/answerer-transport.ts';

export const OFFER_LIMITS = {
  /** A receive-only video client needs one; browsers add audio and data sections. */
  maxMediaSections: 16,
  /** Real lines (candidates, fmtp, ssrc) stay under a few hundred bytes. */
  maxLineLength: 4096,
} as const;

const FINGERPRINT = /^(sha-1|sha-224|sha-256|sha-384|sha-512) ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*)$/i;
/** Digest length in bytes of each hash a fingerprint may use (RFC 8122). */
const DIGEST_BYTES: Record<string, number> = { 'sha-1': 20, 'sha-224': 28, 'sha-256': 32, 'sha-384': 48, 'sha-512': 64 };
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;

interface Section {
  kind: string;
  port: number;
  proto: string;
  formats: string[];
  attrs: Map<string, string[]>;
}

/** One payload type of the offer's video m-line, as its rtpmap and fmtp lines give it. */
export interface OfferedCodec {
  payloadType: number;
  /** The encoding name as offered, e.g. 'VP8', 'H264', 'rtx'. */
  name: string;
  mimeType: string;
  clockRate: number;
  fmtp?: string;
}

export interface ParsedOffer {
  sdp: string;
  /** The negotiated (first, max-bundle) video section's mid, when it has one. */
  videoMid: string | null;
  videoCodecs: OfferedCodec[];
  /** The video section's a=setup; absent means actpass. */
  dtlsSetup: DtlsSetup;
}

/** An offer that cannot lead to a DTLS-SRTP video stream, with the reason; otherwise null. */
export function offerProblem(sdp: string): string | null {
  const r = parseOffer(sdp);
  return 'problem' in r ? r.problem : null;
}

const quote = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

export function parseOffer(sdp: string): { offer: ParsedOffer } | { problem: string } {
  const fail = (problem: string) => ({ problem });
  const lines = sdp.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== 'v=0') return fail('not an SDP offer: it must start with "v=0"');
  const session = new Map<string, string[]>();
  const sections: Section[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const where = `SDP line ${i + 1}`;
    if (line.length > OFFER_LIMITS.maxLineLength) return fail(`${where} is ${line.length} bytes long (at most ${OFFER_LIMITS.maxLineLength})`);
    if (!/^[a-z]=/.test(line)) return fail(`${where} is not "<letter>=<value>": ${quote(line)}`);
    if (line.startsWith('m=')) {
      const m = /^m=(\S+) (\d+)(?:\/\d+)? (\S+)((?: \S+)+)$/.exec(line);
      if (!m) return fail(`${where} is not a media line ("m=<media> <port> <proto> <formats>"): ${quote(line)}`);
      if (sections.length === OFFER_LIMITS.maxMediaSections) return fail(`the offer has more than ${OFFER_LIMITS.maxMediaSections} media sections`);
      const port = Number(m[2]);
      if (port > 65535) return fail(`${where}: port ${m[2]} is out of range`);
      if (m[3].includes('RTP/') && !m[4].trim().split(' ').every((f) => /^\d{1,3}$/.test(f) && Number(f) <= 127)) {
        return fail(`${where}: RTP payload types must be 0-127: ${quote(m[4].trim())}`);
      }
      sections.push({ kind: m[1], port, proto: m[3], formats: m[4].trim().split(' '), attrs: new Map() });
      continue;
    }
    if (!line.startsWith('a=')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line.slice(2) : line.slice(2, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1);
    if (name === 'rtpmap' && !/^(\d{1,3}) [^/\s]+\/[1-9]\d{0,9}(\/\d+)?$/.test(value)) return fail(`${where}: malformed rtpmap ${quote(value)}`);
    if (name === 'rtpmap' && Number(value.split(' ')[0]) > 127) return fail(`${where}: RTP payload types must be 0-127`);
    const attrs = sections.length > 0 ? sections[sections.length - 1].attrs : session;
    attrs.set(name, [...(attrs.get(name) ?? []), value]);
  }
  const video = sections.filter((s) => s.kind === 'video' && s.port !== 0);
  if (video.length === 0) return fail('the offer has no video m-line');
  // The first video section is the one negotiated (max-bundle); it must be able to carry our stream.
  const s = video[0];
  const get = (name: string) => s.attrs.get(name)?.[0] ?? session.get(name)?.[0];
  if (!/SAVPF?$/.test(s.proto)) return fail(`the video section's protocol ${quote(s.proto)} has no SRTP; WebRTC needs UDP/TLS/RTP/SAVPF`);
  const direction = ['sendonly', 'sendrecv', 'recvonly', 'inactive'].find((d) => s.attrs.has(d) || session.has(d)) ?? 'sendrecv';
  if (direction === 'recvonly' || direction === 'inactive') return fail(`the video section is ${direction}: the offer must send video (sendonly or sendrecv)`);
  const ufrag = get('ice-ufrag');
  const pwd = get('ice-pwd');
  if (!ufrag || !pwd) return fail('the offer has no ICE credentials (a=ice-ufrag and a=ice-pwd)');
  if (ufrag.length < 4 || ufrag.length > 256 || !ICE_CHARS.test(ufrag)) return fail(`a=ice-ufrag ${quote(ufrag)} is not 4-256 ICE characters`);
  if (pwd.length < 22 || pwd.length > 256 || !ICE_CHARS.test(pwd)) return fail('a=ice-pwd is not 22-256 ICE characters');
  const fingerprint = get('fingerprint');
  if (!fingerprint) return fail('the offer has no DTLS fingerprint (a=fingerprint)');
  const fp = FINGERPRINT.exec(fingerprint);
  if (!fp || (fp[2].length + 1) / 3 !== DIGEST_BYTES[fp[1].toLowerCase()]) return fail(`a=fingerprint ${quote(fingerprint)} is not "<sha-256|...> XX:XX:..."`);
  const setup = get('setup');
  if (setup !== undefined && !(DTLS_SETUPS as readonly string[]).includes(setup)) return fail(`a=setup:${quote(setup)} must be actpass, active or passive`);
  return { offer: { sdp, videoMid: s.attrs.get('mid')?.[0] ?? null, videoCodecs: offeredCodecs(s), dtlsSetup: (setup ?? 'actpass') as DtlsSetup } };
}

function offeredCodecs(s: Section): OfferedCodec[] {
  const fmtps = new Map<number, string>();
  for (const v of s.attrs.get('fmtp') ?? []) {
    const space = v.indexOf(' ');
    if (space > 0) fmtps.set(Number(v.slice(0, space)), v.slice(space + 1).trim());
  }
  const out: OfferedCodec[] = [];
  for (const v of s.attrs.get('rtpmap') ?? []) {
    const [pt, encoding] = v.split(' ');
    const [name, rate] = encoding.split('/');
    const payloadType = Number(pt);
    if (!s.formats.includes(pt)) continue;
    out.push({ payloadType, name, mimeType: `video/${name}`, clockRate: Number(rate), fmtp: fmtps.get(payloadType) });
  }
  return out;
}

/** The video codec names an offer lists (for error messages), e.g. 'VP8, rtx'. */
export function offeredNames(offer: ParsedOffer): string {
  return [...new Set(offer.videoCodecs.map((c) => c.name))].join(', ') || 'none';
}
