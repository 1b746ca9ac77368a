/**
 * The sender side of receive tests and benchmarks: a page in real Chromium that sends its camera or a canvas
 * time code over WebRTC, a graph source that turns calls into Signaling requests, and a sink that measures
 * every picture.
 */
import { createServer, type Server } from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';
import { z } from 'zod';
import { defineOperator, port } from '../framework/index.ts';
import { lumaOf, TIME_CODE_BITS, VideoFrame, type SignalingReply } from '../operators/messages/index.ts';

import { launchChromium } from './chromium.ts';
import type { PlainRequest } from './signaling-injector.ts';

export { makeSignalingInjector, type PlainRequest } from './signaling-injector.ts';

export interface PictureSample {
  sessionId: string;
  codec: string;
  width: number;
  height: number;
  format: string;
  lumaMean: number;
  lumaStd: number;
  /** Mean of U and V (yuv420p) or of R, G, B (rgba). */
  chroma: number[];
  decodeMs: number;
  arrivalTime: number;
  receivedAt: number;
}

/** Statistics of a picture, computed at once (planes are only valid for a few frames). */
export function measure(frame: VideoFrame): Pick<PictureSample, 'lumaMean' | 'lumaStd' | 'chroma'> {
  const step = 4;
  if (frame.format === 'rgba') {
    const p = frame.planes[0];
    let n = 0, r = 0, g = 0, b = 0, y = 0, y2 = 0;
    for (let row = 0; row < frame.height; row += step) {
      for (let col = 0; col < frame.width; col += step) {
        const i = row * p.stride + col * 4;
        const l = lumaOf(p.data[i], p.data[i + 1], p.data[i + 2]);
        r += p.data[i]; g += p.data[i + 1]; b += p.data[i + 2]; y += l; y2 += l * l; n++;
      }
    }
    return { lumaMean: y / n, lumaStd: Math.sqrt(Math.max(0, y2 / n - (y / n) ** 2)), chroma: [r / n, g / n, b / n] };
  }
  const [Y, U, V] = frame.planes;
  let n = 0, s = 0, s2 = 0;
  for (let row = 0; row < frame.height; row += step) {
    for (let col = 0; col < frame.width; col += step) { const v = Y.data[row * Y.stride + col]; s += v; s2 += v * v; n++; }
  }
  let m = 0, u = 0, v = 0;
  for (let row = 0; row < frame.height >> 1; row += step) {
    for (let col = 0; col < frame.width >> 1; col += step) { u += U.data[row * U.stride + col]; v += V.data[row * V.stride + col]; m++; }
  }
  return { lumaMean: s / n, lumaStd: Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)), chroma: [u / m, v / m] };
}

/** Copies a frame (so it outlives the decoder's ring). */
export function copyFrame(frame: VideoFrame): VideoFrame {
  return { ...frame, planes: frame.planes.map((p) => ({ data: new Uint8Array(p.data) as typeof p.data, stride: p.stride })) };
}

/** A sink that measures every picture it gets, keeps a copy of the last one per session, and can run a hook. */
export function makeFrameSink(opts: { onFrame?: (frame: VideoFrame, meta: Record<string, unknown>) => void } = {}) {
  const samples: PictureSample[] = [];
  const last = new Map<string, VideoFrame>();
  const op = defineOperator({
    name: 'FrameSink',
    params: z.object({}).strict(),
    inputs: { in: port(VideoFrame) },
    compute({ in: frame }, _e, ctx) {
      const meta = ctx.metadata as Record<string, unknown>;
      const sessionId = String(meta.sessionId);
      samples.push({
        sessionId, codec: String(meta.codec), width: frame.width, height: frame.height, format: frame.format,
        decodeMs: Number(meta.decodeMs), arrivalTime: Number(meta.arrivalTime), receivedAt: performance.timeOrigin + performance.now(),
        ...measure(frame),
      });
      last.set(sessionId, copyFrame(frame));
      opts.onFrame?.(frame, meta);
    },
  });
  return { op, samples, last };
}

/** Page script: drawTimeCode(ctx, w, h) and drawMotion(ctx, w, h), the canvas source of SENDER_PAGE and of timeCodeCamera. */
const CANVAS_DRAWING = String.raw`const BITS = ${TIME_CODE_BITS};
// Time code: Date.now() as TIME_CODE_BITS black/white blocks across the top of the picture (read back from luma).
function drawTimeCode(ctx, w, h) {
  const t = Date.now();
  ctx.fillStyle = '#808080'; ctx.fillRect(0, 0, w, h);
  const bw = Math.floor(w / BITS), bh = Math.floor(h / 8);
  for (let i = 0; i < BITS; i++) {
    const bit = Math.floor(t / 2 ** (BITS - 1 - i)) % 2;
    ctx.fillStyle = bit ? '#ffffff' : '#000000';
    ctx.fillRect(i * bw, 0, bw, bh);
  }
}
// motion: webcam-like load. A noise picture pasted at a new random offset every frame, below the time code
// and around a grey centre square (the readers check the field there), so the encoder has real work and
// sends what its rate control allows (1.5-4 Mbps), as a camera in a lit room does.
let noise = null;
function drawMotion(ctx, w, h) {
  if (!noise || noise.width !== w) {
    noise = document.createElement('canvas'); noise.width = w; noise.height = h;
    const n = noise.getContext('2d'), img = n.createImageData(w, h);
    for (let i = 0; i < img.data.length; i += 4) { const v = Math.random() * 255; img.data[i] = v; img.data[i + 1] = (v * 7) % 255; img.data[i + 2] = 255 - v; img.data[i + 3] = 255; }
    n.putImageData(img, 0, 0);
  }
  const top = Math.floor(h / 8) + 4;
  const dx = Math.floor(Math.random() * w / 2), dy = Math.floor(Math.random() * h / 2);
  ctx.drawImage(noise, dx, dy, w - dx, h - top, 0, top, w - dx, h - top);
  ctx.fillStyle = '#808080'; ctx.fillRect((w >> 1) - (w >> 4), (h >> 1) - (h >> 4), w >> 3, h >> 3);
}
`;

/**
 * A page init script (playwright's addInitScript) that makes getUserMedia return a canvas drawing the time
 * code over moving noise at `width`x`height`, 30 fps: any page (the app's own) then streams a picture whose
 * age can be read back wherever it ends up (viewer.js reads the same code).
 */
export function timeCodeCamera(width: number, height: number): string {
  return `(() => {
${CANVAS_DRAWING}
  navigator.mediaDevices.getUserMedia = async () => {
    const c = document.createElement('canvas'); c.width = ${width}; c.height = ${height};
    const ctx = c.getContext('2d');
    // rAF is throttled in headless pages; a timer at 60 Hz keeps the canvas fresh for captureStream(30).
    setInterval(() => { drawTimeCode(ctx, c.width, c.height); drawMotion(ctx, c.width, c.height); }, 1000 / 60);
    return c.captureStream(30);
  };
})();`;
}

/** The page the tests and the bench load: camera or canvas time code -> RTCPeerConnection, signaling bridged to Node. */
export const SENDER_PAGE = String.raw`<!doctype html><meta charset="utf-8"><title>holots webrtc sender</title><body>
<canvas id="c" style="display:none"></canvas>
<script>
window.sessions = {};
${CANVAS_DRAWING}
async function source(opts) {
  if (opts.source !== 'timecode') {
    return navigator.mediaDevices.getUserMedia({ video: { width: { exact: opts.width }, height: { exact: opts.height } } });
  }
  const c = document.getElementById('c'); c.width = opts.width; c.height = opts.height;
  const ctx = c.getContext('2d');
  const stream = c.captureStream(30);
  const tick = () => { drawTimeCode(ctx, c.width, c.height); window.__raf = requestAnimationFrame(tick); };
  const draw = () => { drawTimeCode(ctx, c.width, c.height); if (opts.motion) drawMotion(ctx, c.width, c.height); };
  // rAF is throttled in headless pages; a timer at 60 Hz keeps the canvas fresh for captureStream(30).
  window.__tc = setInterval(draw, 1000 / 60);
  return stream;
}
window.startSession = async (opts) => {
  const stream = await source(opts);
  // recordEncoded: the encoder's own output, copied on its way to the packetizer, so a bench can decode
  // the very stream the receiver got (window.encodedFrames from the session's first, key, frame on, while
  // window.recording is true).
  const pc = new RTCPeerConnection(opts.recordEncoded ? { encodedInsertableStreams: true } : {});
  const tr = pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', streams: [stream] });
  if (opts.recordEncoded) {
    window.encodedFrames = []; window.recording = true;
    const { readable, writable } = tr.sender.createEncodedStreams();
    readable.pipeThrough(new TransformStream({ transform(frame, out) {
      if (window.recording) window.encodedFrames.push({ key: frame.type === 'key', ts: frame.timestamp, data: new Uint8Array(frame.data.slice(0)) });
      out.enqueue(frame);
    } })).pipeTo(writable);
  }
  if (opts.codec) {
    const caps = RTCRtpReceiver.getCapabilities('video').codecs;
    const want = caps.filter((c) => c.mimeType.toLowerCase() === 'video/' + opts.codec.toLowerCase());
    if (opts.codec === 'H264') want.sort((a, b) => (b.sdpFmtpLine || '').includes('42e01f') - (a.sdpFmtpLine || '').includes('42e01f'));
    if (opts.codec === 'VP9') want.sort((a, b) => (b.sdpFmtpLine || '').includes('profile-id=0') - (a.sdpFmtpLine || '').includes('profile-id=0'));
    const rtx = caps.filter((c) => /rtx|red|ulpfec/i.test(c.mimeType));
    if (!want.length) throw new Error('this Chromium cannot send ' + opts.codec);
    tr.setCodecPreferences([...want, ...rtx]);
  }
  const t0 = performance.now();
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  if (opts.kind === 'offer') {
    await new Promise((r) => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); });
  }
  const tOffer = performance.timeOrigin + performance.now();
  const res = await window.holotsSignal({ kind: opts.kind || 'offer', sdp: pc.localDescription.sdp });
  if (!res.ok) return { ok: false, status: res.status, error: res.error };
  await pc.setRemoteDescription({ type: 'answer', sdp: res.sdp });
  // How the first picture came about (wall clock, ms): when the peer connection was up (ICE and DTLS,
  // the receiver's share as much as the browser's), when this browser's encoder produced its first frame
  // (the sender's share, which a receiver cannot shorten), and how long the encoder spent on that frame
  // (getStats' totalEncodeTime at that moment; a poll may catch a second frame in it).
  let connectedAt = null;
  const markConnected = () => { if (connectedAt === null && pc.connectionState === 'connected') connectedAt = performance.timeOrigin + performance.now(); };
  markConnected();
  pc.addEventListener('connectionstatechange', markConnected);
  const firstEncodedAt = new Promise((resolve) => {
    const poll = setInterval(async () => {
      if (pc.connectionState === 'closed') { clearInterval(poll); resolve(null); return; }
      const now = performance.timeOrigin + performance.now();
      (await pc.getStats()).forEach((r) => { if (r.type === 'outbound-rtp' && r.kind === 'video' && r.framesEncoded > 0) { clearInterval(poll); resolve({ at: now, encodeMs: r.totalEncodeTime * 1000, connectedAt }); } });
    }, 5);
  });
  window.sessions[res.sessionId] = { pc, stream, firstEncodedAt };
  return { ok: true, sessionId: res.sessionId, offerAt: tOffer, answer: res.sdp, offer: pc.localDescription.sdp };
};
window.stopSession = async (id, tellServer = true) => {
  const s = window.sessions[id];
  if (s) { s.pc.close(); s.stream.getTracks().forEach((t) => t.stop()); delete window.sessions[id]; }
  if (window.__tc) { clearInterval(window.__tc); window.__tc = null; }
  return tellServer ? window.holotsSignal({ kind: 'close', sessionId: id }) : { ok: true };
};
window.senderStats = async (id) => {
  const s = window.sessions[id]; if (!s) return null;
  const out = [];
  (await s.pc.getStats()).forEach((r) => { if (r.type === 'outbound-rtp') out.push({ codec: r.codecId, framesEncoded: r.framesEncoded, bytesSent: r.bytesSent, nack: r.nackCount, pli: r.pliCount, targetBitrate: r.targetBitrate, fps: r.framesPerSecond, w: r.frameWidth, h: r.frameHeight, limit: r.qualityLimitationReason }); });
  return out;
};
</script>`;

export interface SenderBrowser {
  context: BrowserContext;
  page: Page;
  url: string;
  close(): Promise<void>;
}

/**
 * Real headless Chromium with the fake camera, on a page served from 127.0.0.1 (a secure context, so
 * getUserMedia works). `signal` is what the page's `holotsSignal` calls.
 */
export async function launchSender(signal: (req: PlainRequest) => Promise<SignalingReply>): Promise<SenderBrowser> {
  const server: Server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(SENDER_PAGE); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const browser = await launchChromium().catch((err) => { server.close(); throw err; });
  const page = browser.context.pages()[0] ?? await browser.context.newPage();
  await page.exposeFunction('holotsSignal', (req: PlainRequest) => signal(req));
  await page.goto(url);
  return {
    context: browser.context, page, url,
    async close() {
      await browser.close();
      await new Promise((r) => server.close(r));
      server.closeAllConnections?.();
    },
  };
}

export interface StartResult { ok: boolean; sessionId?: string; status?: number; error?: string; offerAt?: number; answer?: string; offer?: string }

export function startSession(page: Page, opts: { width: number; height: number; codec?: string; kind?: 'offer' | 'whip-offer'; source?: 'camera' | 'timecode'; motion?: boolean; recordEncoded?: boolean }): Promise<StartResult> {
  return page.evaluate((o) => (window as unknown as { startSession(o: unknown): Promise<StartResult> }).startSession(o), opts);
}

export function stopSession(page: Page, id: string, tellServer = true): Promise<SignalingReply> {
  return page.evaluate(([i, t]) => (window as unknown as { stopSession(i: string, t: boolean): Promise<SignalingReply> }).stopSession(i, t), [id, tellServer] as const);
}


export interface FirstEncoded {
  /** Wall-clock ms when the page's encoder had produced the session's first frame (Chromium's getStats). */
  at: number;
  /** The encoder's own time on it (totalEncodeTime then), ms. */
  encodeMs: number;
  /** Wall-clock ms when the page's peer connection became connected (ICE and DTLS), or null if not yet. */
  connectedAt: number | null;
}

/** When and how the page's encoder produced the session's first frame, or null if the session closed first. */
export function firstEncodedAt(page: Page, id: string): Promise<FirstEncoded | null> {
  return page.evaluate((i) => (window as unknown as { sessions: Record<string, { firstEncodedAt: Promise<FirstEncoded | null> }> }).sessions[i]?.firstEncodedAt ?? null, id);
}
