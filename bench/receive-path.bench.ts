/**
 * The receive path's per-packet JavaScript, on its own (issue 15): what holots does in place of werift, and
 * what werift still does, measured in one process on the same packets, each pair in the same run.
 *
 * - Depacketizing one 720p frame of a webcam's size (VP8 15 kB, VP9 and H.264 8.4 kB: 3.7 and 2 Mbps at
 *   30 fps) cut by werift's own packetizers at 1150-byte payloads, as the frame assembler does it (the
 *   start-of-frame test on the first packet, then the frame): holots' readers against werift's
 *   `dePacketizeRtpPackets` and payload parsers. The outputs are checked equal first.
 * - Decrypting and parsing one 1150-byte SRTP packet with werift's SrtpSession, under the two profiles a
 *   session may negotiate: AES_CM_128_HMAC_SHA1_80 (a cipher and an HMAC a packet; what Chromium picked
 *   when werift was the DTLS client) and AEAD_AES_128_GCM (one cipher; what werift picks as the server).
 *
 * CPU of this process (process.cpuUsage), median of 5 interleaved repeats.
 * Usage: node --import tsx bench/receive-path.bench.ts
 */
import { randomBytes } from 'node:crypto';
import {
  RtpHeader, RtpPacket, SrtpSession, Vp8RtpPayload, Vp9RtpPayload, dePacketizeRtpPackets,
} from 'werift';
import { CODECS } from '../operators/webrtc/codecs.ts';
import { packetize } from '../test/webrtc/rtp-sender.ts';
import { describeMachine, formatMarkdownTable, formatTable, median, writeMarkdown, writeResults } from './lib/index.ts';

const REPEATS = 5;
const PAYLOAD = 1150;

/** CPU microseconds per call of `fn`, over `n` calls. */
function cpuMicros(n: number, fn: () => void): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}


interface DepacketizeCase { codec: 'VP8' | 'VP9' | 'H264'; frameBytes: number; packets: RtpPacket[]; werift: () => Buffer; holots: () => Buffer }

function depacketizeCases(): DepacketizeCase[] {
  const vp8 = packetize('VP8', [{ data: Buffer.concat([Buffer.from([0x11, 0x02, 0x00]), randomBytes(15_000)]), keyframe: false }], 1, PAYLOAD);
  const vp9 = packetize('VP9', [{ data: randomBytes(8_400), keyframe: false }], 1, PAYLOAD);
  // One slice NAL unit (type 1) after a start code: werift's packetizer cuts it into FU-A fragments.
  const h264 = packetize('H264', [{ data: Buffer.concat([Buffer.from([0, 0, 0, 1, 0x41]), randomBytes(8_400).map((b) => b | 0x01)]), keyframe: false }], 1, PAYLOAD);
  return [
    { codec: 'VP8', frameBytes: 15_000, packets: vp8,
      werift: () => { Vp8RtpPayload.deSerialize(vp8[0].payload); return dePacketizeRtpPackets('VP8', [...vp8]).data; },
      holots: () => { CODECS.VP8.startsFrame(vp8[0].payload); return CODECS.VP8.depacketize(vp8).data; } },
    { codec: 'VP9', frameBytes: 8_400, packets: vp9,
      werift: () => { Vp9RtpPayload.deSerialize(vp9[0].payload); return dePacketizeRtpPackets('VP9', [...vp9]).data; },
      holots: () => { CODECS.VP9.startsFrame(vp9[0].payload); return CODECS.VP9.depacketize(vp9).data; } },
    { codec: 'H264', frameBytes: 8_400, packets: h264,
      werift: () => dePacketizeRtpPackets('MPEG4/ISO/AVC', [...h264]).data,
      holots: () => { CODECS.H264.startsFrame(h264[0].payload); return CODECS.H264.depacketize(h264).data; } },
  ];
}

const PROFILES = [{ name: 'AES_CM_128_HMAC_SHA1_80', id: 1, saltBytes: 14 }, { name: 'AEAD_AES_128_GCM', id: 7, saltBytes: 12 }] as const;

/** werift's SRTP receive step for one profile: a fresh session per pass so its rollover state starts over. */
function srtpCase(profile: (typeof PROFILES)[number]) {
  const key = randomBytes(16);
  const salt = randomBytes(profile.saltBytes);
  const config = { keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt }, profile: profile.id };
  const tx = new SrtpSession(config as ConstructorParameters<typeof SrtpSession>[0]);
  const packets = Array.from({ length: 2000 }, (_, i) => tx.encrypt(randomBytes(PAYLOAD), new RtpHeader({ payloadType: 96, sequenceNumber: i, timestamp: i * 3000, ssrc: 1234, marker: i % 7 === 6 })));
  return () => {
    const rx = new SrtpSession(config as ConstructorParameters<typeof SrtpSession>[0]);
    const c0 = process.cpuUsage();
    for (const p of packets) RtpPacket.deSerialize(rx.decrypt(p));
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / packets.length;
  };
}

console.log(`receive path, per packet and per frame — ${describeMachine()}`);
const depacketize = depacketizeCases();
for (const c of depacketize) {
  if (!c.holots().equals(c.werift())) throw new Error(`${c.codec}: holots' depacketizer and werift's disagree`);
  for (let i = 0; i < 2000; i++) { c.holots(); c.werift(); } // warm-up: both compiled before measuring
}
const depacketizeRows = depacketize.map((c) => {
  const w: number[] = [];
  const h: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const order = r % 2 ? [['h', c.holots], ['w', c.werift]] as const : [['w', c.werift], ['h', c.holots]] as const;
    for (const [who, fn] of order) (who === 'w' ? w : h).push(cpuMicros(5000, fn));
  }
  return { codec: c.codec, frameBytes: c.frameBytes, packets: c.packets.length, weriftUs: median(w), holotsUs: median(h) };
});
const srtp = PROFILES.map((p) => ({ profile: p, run: srtpCase(p) }));
for (const s of srtp) s.run(); // warm-up
const srtpSamples = new Map<string, number[]>(PROFILES.map((p) => [p.name, []]));
for (let r = 0; r < REPEATS; r++) for (const s of r % 2 ? [...srtp].reverse() : srtp) srtpSamples.get(s.profile.name)!.push(s.run());
const cm = median(srtpSamples.get('AES_CM_128_HMAC_SHA1_80')!);
const gcm = median(srtpSamples.get('AEAD_AES_128_GCM')!);

const depHeader = ['codec', 'frame', 'packets', "werift us/frame", 'holots us/frame', 'holots/werift'];
const depBody = depacketizeRows.map((r) => [r.codec, `${(r.frameBytes / 1000).toFixed(1)} kB`, String(r.packets), r.weriftUs.toFixed(1), r.holotsUs.toFixed(1), `${(r.holotsUs / r.weriftUs).toFixed(2)}x`]);
const srtpHeader = ['SRTP profile', 'werift decrypt + parse, us/packet', 'vs AES-CM + HMAC-SHA1'];
const srtpBody = [['AES_CM_128_HMAC_SHA1_80', cm.toFixed(1), '1.00x'], ['AEAD_AES_128_GCM', gcm.toFixed(1), `${(gcm / cm).toFixed(2)}x`]];
console.log('\nDepacketizing one frame\n' + formatTable(depHeader, depBody));
console.log('\nSRTP, one 1150-byte packet\n' + formatTable(srtpHeader, srtpBody));
writeResults('receive-path', { repeats: REPEATS, depacketize: depacketizeRows, srtp: Object.fromEntries(srtpSamples) });
writeMarkdown('receive-path', [
  `Depacketizing one 720p frame of a webcam's size, cut by werift's packetizers at ${PAYLOAD}-byte payloads, with the start-of-frame test on its first packet (CPU of this process, median of ${REPEATS} interleaved repeats; the outputs are checked equal first):`,
  '',
  formatMarkdownTable(depHeader, depBody),
  '',
  `werift's SRTP receive step (decrypt, then parse the RTP packet) for one ${PAYLOAD}-byte packet, by the profile the session negotiated:`,
  '',
  formatMarkdownTable(srtpHeader, srtpBody),
].join('\n'));
