/**
 * N WHIP publishers of a webcam-like 720p30 H264 stream, in one process of their own (the harness: its
 * CPU is never charged to what is measured). The stream is encoded once, before any publisher starts
 * (2 s of the moving test pattern over a band of fresh noise, a camera's grain, at a webcam's bitrate),
 * and its packets are sent in a loop without re-encoding; a keyframe request restarts the loop at its
 * keyframe, as a camera's encoder would send one.
 *   node --import tsx bench/fragments/whip-publishers.ts WHIP_URL N
 * Prints `{"bitrateKbps":..}` once the clip is encoded, then `connected K of N` once every publisher is
 * connected or 60 s have passed (a row says what it really had).
 */
import { randomFillSync } from 'node:crypto';
import type { Frame } from 'node-av';
import { H264Packetizer, MediaStreamTrack, RTCPeerConnection, type RTCRtpSender } from 'werift';
import { sendCodecParameters } from '../../operators/webrtc-server/send-codecs.ts';
import { paintPattern, PatternEncoder } from '../../test/webrtc/encode.ts';

const [url, count] = [process.argv[2], Number(process.argv[3])];
const WIDTH = 1280, HEIGHT = 720, FPS = 30, LOOP = 60;

/** The pattern with a noise band (rows 85-95 %), so x264 spends a webcam's bits. */
function paint(frame: Frame, index: number): void {
  paintPattern(frame, index);
  const [y] = frame.data!;
  const stride = frame.linesize[0];
  for (let r = Math.floor(HEIGHT * 0.85); r < Math.floor(HEIGHT * 0.95); r++) randomFillSync(y, r * stride, WIDTH);
}

const encoder = new PatternEncoder('H264', WIDTH, HEIGHT, { gop: LOOP, bitrate: 2_500_000, globalHeader: true, paint });
const clip: Buffer[] = [];
while (clip.length < LOOP) for (const au of encoder.next()) clip.push(au.data);
encoder.close();
const bytes = clip.reduce((a, b) => a + b.byteLength, 0);
console.log(JSON.stringify({ bitrateKbps: Math.round((bytes * 8 * FPS) / LOOP / 1000) }));

interface Publisher { sender: RTCRtpSender; packetizer: H264Packetizer; frame: number; at: number; connected: boolean }

async function publish(): Promise<Publisher> {
  const pc = new RTCPeerConnection({ codecs: { video: [sendCodecParameters('H264')], audio: [] }, bundlePolicy: 'max-bundle' });
  const track = new MediaStreamTrack({ kind: 'video', codec: sendCodecParameters('H264') });
  const { sender } = pc.addTransceiver(track, { direction: 'sendonly' });
  const p: Publisher = { sender, packetizer: new H264Packetizer({ inputFormat: 'annexb' }), frame: 0, at: 0, connected: false };
  sender.onPictureLossIndication.subscribe(() => { p.at = 0; });
  pc.connectionStateChange.subscribe((s) => { p.connected = s === 'connected'; });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') { resolve(); return; }
    const sub = pc.iceGatheringStateChange.subscribe((s) => { if (s === 'complete') { sub.unSubscribe(); resolve(); } });
  });
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp });
  if (res.status !== 201) throw new Error(`WHIP POST answered ${res.status}: ${await res.text()}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  return p;
}

const publishers: Publisher[] = [];
for (let i = 0; i < count; i++) publishers.push(await publish());
setInterval(() => {
  for (const p of publishers) {
    if (!p.connected) continue;
    const au = clip[p.at];
    p.at = (p.at + 1) % clip.length;
    for (const packet of p.packetizer.packetize(au, p.frame++ * (90_000 / FPS), { isKeyframe: p.at === 1 })) void p.sender.sendRtp(packet).catch(() => {});
  }
}, 1000 / FPS);
const started = Date.now();
while (!publishers.every((p) => p.connected) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 100));
console.log(`connected ${publishers.filter((p) => p.connected).length} of ${count}`);
process.on('SIGINT', () => process.exit(0));
