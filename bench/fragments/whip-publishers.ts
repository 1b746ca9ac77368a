/**
 * N WHIP publishers of a webcam-like 720p30 H264 stream, in one process of their own (the harness: its
 * CPU is never charged to what is measured). The stream is encoded once, before any publisher starts
 * (2 s of the moving test pattern over a band of fresh noise, a camera's grain, at a webcam's bitrate),
 * and its packets are sent in a loop without re-encoding; a keyframe request restarts the loop at its
 * keyframe, as a camera's encoder would send one.
 *   node --import tsx bench/fragments/whip-publishers.ts WHIP_URL N
 * Prints `{"bitrateKbps":..}` once the clip is encoded, then `connected K of N` once every publisher is
 * connected or 60 s have passed (a row says what it really had), then `sent F` every 250 ms: frames sent so
 * far by the connected publishers together (a starved machine slows this process's clock too).
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

interface Publisher { resource: string; pc: RTCPeerConnection; sender: RTCRtpSender; packetizer: H264Packetizer; frame: number; at: number; connected: boolean }

async function publish(): Promise<Publisher> {
  const pc = new RTCPeerConnection({ codecs: { video: [sendCodecParameters('H264')], audio: [] }, bundlePolicy: 'max-bundle' });
  const track = new MediaStreamTrack({ kind: 'video', codec: sendCodecParameters('H264') });
  const { sender } = pc.addTransceiver(track, { direction: 'sendonly' });
  const p: Publisher = { resource: '', pc, sender, packetizer: new H264Packetizer({ inputFormat: 'annexb' }), frame: 0, at: 0, connected: false };
  sender.onPictureLossIndication.subscribe(() => { p.at = 0; });
  pc.connectionStateChange.subscribe((s) => { p.connected = s === 'connected'; });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') { resolve(); return; }
    const sub = pc.iceGatheringStateChange.subscribe((s) => { if (s === 'complete') { sub.unSubscribe(); resolve(); } });
  });
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp });
  if (res.status !== 201) throw new Error(`WHIP POST answered ${res.status}: ${await res.text()}`);
  p.resource = new URL(res.headers.get('location') ?? '', url).href;
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  return p;
}

/**
 * A publisher not connected after this long starts again with a new offer, as a client would (on a
 * starved machine a worker's answer may carry no candidate yet); each row reports the retries.
 */
const CONNECT_MS = 15_000;
const TRIES = 3;
const publishers: Publisher[] = [];
for (let i = 0; i < count; i++) publishers.push(await publish());
let retries = 0;
let sent = 0;
setInterval(() => {
  for (const p of publishers) {
    if (!p.connected) continue;
    sent++;
    const au = clip[p.at];
    p.at = (p.at + 1) % clip.length;
    for (const packet of p.packetizer.packetize(au, p.frame++ * (90_000 / FPS), { isKeyframe: p.at === 1 })) void p.sender.sendRtp(packet).catch(() => {});
  }
}, 1000 / FPS);
const started = Date.now();
for (let attempt = 1; attempt <= TRIES; attempt++) {
  const since = Date.now();
  while (!publishers.every((p) => p.connected) && Date.now() - since < CONNECT_MS) await new Promise((r) => setTimeout(r, 100));
  if (attempt === TRIES || publishers.every((p) => p.connected)) break;
  for (let i = 0; i < publishers.length; i++) {
    if (publishers[i].connected) continue;
    retries++;
    await publishers[i].pc.close();
    await fetch(publishers[i].resource, { method: 'DELETE' }).catch(() => {});
    publishers[i] = await publish();
  }
}
console.log(`connected ${publishers.filter((p) => p.connected).length} of ${count} (${retries} retried) in ${Math.round((Date.now() - started) / 1000)} s`);
setInterval(() => console.log(`sent ${sent}`), 250);
process.on('SIGINT', () => process.exit(0));
