/**
 * Cheap webcam-like publishers, in a process of their own (their CPU is theirs, never a receiver's): N werift
 * peer connections each sending the same pre-encoded clip, packetized once and sent without re-encoding, so
 * thirty or more streams cost the sender little. Used by bench:scale (many 720p H264 streams) and bench:seed
 * (one stream per row, VP8 or H264, 480p to 1080p), driven through bench/lib/clip-senders.ts.
 *
 * The clip is webcam-like: a detailed scene panning, fresh sensor grain in a band and a moving bar
 * (testkit/clip.ts `camera` content), encoded once with node-av (libx264 or libvpx, the recorder's live
 * settings) at --kbps, a keyframe every --gop-s seconds, and a keyframe on request (PLI: the stream jumps
 * to the clip's next keyframe, as a browser answers a PLI with a fresh keyframe). The clip loops. RTP
 * timestamps are the sender's wall clock in 90 kHz ticks, so a receiver on the same machine reads each
 * picture's latency from it (`--clock rtp`).
 *
 * Commands on stdin, one JSON object a line; one JSON reply a line on stdout:
 *   {"cmd":"add","count":4,"url":"http://127.0.0.1:P/offer"}  -> {"added":["id",...]} once all are connected
 *   {"cmd":"stats"}                  -> {"streams":N,"plis":N,"framesSent":N,"bytesSent":N,"clip":{...}}
 *   {"cmd":"close"}                  -> {"closed":N}   (stops and closes every stream)
 *   {"cmd":"dump","path":FILE}       -> {"frames":N}   (the encoded clip, in bench/receivers/decode-floor.ts's format)
 * Usage: node --import tsx bench/senders/clip-sender.ts [--codec H264|VP8] [--width 1280] [--height 720]
 *        [--fps 30] [--frames 150] [--kbps 2000] [--gop-s 2]           prints {"ready":true,"clip":{...}} first
 */
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { H264Packetizer, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, Vp8Packetizer, type RTCRtpSender } from 'werift';
import { FrameEncoder } from '../../operators/recording/index.ts';
import { codedFrame } from '../../testkit/clip.ts';
import { wallNow } from '../../testkit/timecode.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const CODEC = opt('--codec', 'H264');
const WIDTH = Number(opt('--width', '1280'));
const HEIGHT = Number(opt('--height', '720'));
const FPS = Number(opt('--fps', '30'));
const FRAMES = Number(opt('--frames', '150'));
const KBPS = Number(opt('--kbps', '2000'));
const GOP = Math.round(Number(opt('--gop-s', '2')) * FPS);
const RTP_WRAP = 2 ** 32;
const PAYLOAD_TYPE = 96;

/** What each codec needs from werift: its packetizer and what the offer says about it. */
const CODECS: Record<string, { packetize(data: Buffer, ts: number, keyframe: boolean): RtpPacket[]; codec(): RTCRtpCodecParameters }> = {
  H264: (() => {
    const p = new H264Packetizer({ sequenceNumber: 0, payloadType: PAYLOAD_TYPE, ssrc: 1, maxPayloadSize: 1200 }) as unknown as { packetize(d: Buffer, ts: number, o?: unknown): RtpPacket[] };
    // Level 3.1 holds 720p30, 4.0 holds 1080p30; receivers read the stream's own SPS either way.
    const level = WIDTH * HEIGHT > 1280 * 720 ? '28' : '1f';
    return {
      packetize: (d, ts, keyframe) => p.packetize(d, ts, { isKeyframe: keyframe }),
      codec: () => new RTCRtpCodecParameters({
        mimeType: 'video/H264', clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
        parameters: `profile-level-id=42e0${level};packetization-mode=1;level-asymmetry-allowed=1`,
      }),
    };
  })(),
  VP8: (() => {
    const p = new Vp8Packetizer({ sequenceNumber: 0, payloadType: PAYLOAD_TYPE, ssrc: 1, maxPayloadSize: 1200 });
    return {
      packetize: (d, ts) => p.packetize(d, ts),
      codec: () => new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }),
    };
  })(),
};
const codec = CODECS[CODEC];
if (!codec) throw new Error(`clip-sender: --codec ${CODEC} is not one of ${Object.keys(CODECS).join(', ')}`);

/** `payloadBytes`: the RTP payloads' bytes (the encoded frame plus the codec's payload headers), what a sender's bytesSent counts. */
interface ClipFrame { keyframe: boolean; data: Buffer; packets: { payload: Buffer; marker: boolean }[]; payloadBytes: number }

/** Encodes the clip once and packetizes each frame once; streams only stamp headers. */
async function makeClip(): Promise<ClipFrame[]> {
  const enc = await FrameEncoder.open({ codec: CODEC as 'H264' | 'VP8', width: WIDTH, height: HEIGHT, fps: FPS, bitrateKbps: KBPS, globalHeader: false, keyframeInterval: GOP });
  const frames: ClipFrame[] = [];
  const add = (p: { data: Uint8Array; keyframe: boolean }) => {
    const data = Buffer.from(p.data);
    const packets = codec.packetize(data, frames.length * (90_000 / FPS), p.keyframe).map((r) => ({ payload: Buffer.from(r.payload), marker: r.header.marker }));
    frames.push({ keyframe: p.keyframe, data, payloadBytes: packets.reduce((n, q) => n + q.payload.length, 0), packets });
  };
  try {
    for (let i = 0; i < FRAMES; i++) for (const p of await enc.encode(codedFrame(WIDTH, HEIGHT, i, (i * 1000) / FPS, 'camera'))) add(p);
    for (const p of await enc.flush()) add(p);
  } finally {
    enc.close();
  }
  if (!frames[0]?.keyframe) throw new Error('the clip does not start with a keyframe');
  return frames;
}

const clip = await makeClip();
const keyframes = clip.map((f, i) => (f.keyframe ? i : -1)).filter((i) => i >= 0);
const clipInfo = {
  codec: CODEC, width: WIDTH, height: HEIGHT, fps: FPS, frames: clip.length, keyframeEvery: GOP, keyframes: keyframes.length,
  kbps: Math.round((clip.reduce((n, f) => n + f.data.length, 0) * 8) / (clip.length / FPS) / 1000),
  packetsPerFrame: Math.round((clip.reduce((n, f) => n + f.packets.length, 0) / clip.length) * 10) / 10,
};

interface Stream { id: string; pc: RTCPeerConnection; sender: RTCRtpSender; index: number; seq: number; wantKeyframe: boolean; plis: number; timer: NodeJS.Timeout | null; sent: number; bytes: number }
const streams: Stream[] = [];

/** Sends the next frame at FPS on a deadline (no drift), from a random phase: cameras are not in step. */
function pace(s: Stream): void {
  const start = performance.now() + Math.random() * (1000 / FPS);
  let k = 0;
  const tick = () => {
    sendFrame(s);
    k++;
    s.timer = setTimeout(tick, Math.max(0, start + (k * 1000) / FPS - performance.now()));
  };
  s.timer = setTimeout(tick, Math.max(0, start - performance.now()));
}

function sendFrame(s: Stream): void {
  if (s.wantKeyframe) {
    s.wantKeyframe = false;
    s.index = keyframes.find((k) => k > s.index) ?? 0;
  }
  const frame = clip[s.index];
  s.index = (s.index + 1) % clip.length;
  const timestamp = Math.round(wallNow() * 90) % RTP_WRAP;
  for (const p of frame.packets) {
    const header = new RtpHeader({ sequenceNumber: s.seq, timestamp, marker: p.marker, payloadType: PAYLOAD_TYPE, ssrc: 1 });
    s.seq = (s.seq + 1) & 0xffff;
    void s.sender.sendRtp(new RtpPacket(header, p.payload)).catch(() => undefined);
  }
  s.sent++;
  s.bytes += frame.payloadBytes;
}

/** One publisher: a sendonly offer for the codec, loopback candidates only, POSTed as the seed's /offer. */
async function addStream(url: string): Promise<Stream> {
  const pc = new RTCPeerConnection({
    codecs: { video: [codec.codec()], audio: [] },
    headerExtensions: { video: [], audio: [] },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    bundlePolicy: 'max-bundle',
  });
  const transceiver = pc.addTransceiver('video', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') await new Promise<void>((r) => pc.iceGatheringStateChange.subscribe((st) => { if (st === 'complete') r(); }));
  // Loopback only: the receivers under test are on this machine.
  const sdp = pc.localDescription!.sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:') || / 127\.0\.0\.1 /.test(l)).join('\r\n');
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sdp, type: 'offer' }) });
  const body = (await res.json()) as { sdp?: string; session_id?: string; error?: string };
  if (!res.ok || !body.sdp) { await pc.close(); throw new Error(`offer refused: ${res.status} ${body.error ?? ''}`); }
  const s: Stream = { id: String(body.session_id), pc, sender: transceiver.sender, index: 0, seq: Math.floor(Math.random() * 0xffff), wantKeyframe: false, plis: 0, timer: null, sent: 0, bytes: 0 };
  transceiver.sender.onPictureLossIndication.subscribe(() => { s.plis++; s.wantKeyframe = true; });
  const connected = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stream ${s.id} did not connect within 60 s`)), 60_000);
    pc.connectionStateChange.subscribe((st) => { if (st === 'connected') { clearTimeout(timer); resolve(); } });
  });
  await pc.setRemoteDescription({ type: 'answer', sdp: body.sdp });
  await connected;
  pace(s);
  return s;
}

/** The clip as bench/receivers/decode-floor.ts reads it: a JSON header line, then the frames back to back. */
function dump(path: string): number {
  const header = JSON.stringify({ codec: CODEC, frames: clip.map((f) => ({ key: f.keyframe, bytes: f.data.length })) });
  writeFileSync(path, Buffer.concat([Buffer.from(`${header}\n`), ...clip.map((f) => f.data)]));
  return clip.length;
}

const reply = (v: unknown) => process.stdout.write(JSON.stringify(v) + '\n');
reply({ ready: true, clip: clipInfo });
for await (const line of createInterface({ input: process.stdin })) {
  const msg = JSON.parse(line) as { cmd: string; count?: number; url?: string; path?: string };
  try {
    if (msg.cmd === 'add') {
      // A few at a time: answering is cheap, but a burst of DTLS handshakes is not what cameras do either.
      const added: Stream[] = [];
      for (let i = 0; i < msg.count!; i += 4) added.push(...await Promise.all(Array.from({ length: Math.min(4, msg.count! - i) }, () => addStream(msg.url!))));
      streams.push(...added);
      reply({ added: added.map((s) => s.id) });
    } else if (msg.cmd === 'stats') {
      reply({
        streams: streams.length, plis: streams.reduce((n, s) => n + s.plis, 0), framesSent: streams.reduce((n, s) => n + s.sent, 0),
        bytesSent: streams.reduce((n, s) => n + s.bytes, 0), clip: clipInfo,
      });
    } else if (msg.cmd === 'close') {
      for (const s of streams) if (s.timer) clearTimeout(s.timer);
      await Promise.allSettled(streams.map((s) => s.pc.close()));
      reply({ closed: streams.splice(0).length });
    } else if (msg.cmd === 'dump') {
      reply({ frames: dump(msg.path!) });
    } else reply({ error: `unknown command '${msg.cmd}'` });
  } catch (err) {
    reply({ error: (err as Error).message });
  }
}
process.exit(0);
