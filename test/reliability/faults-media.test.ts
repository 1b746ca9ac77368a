import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RtpPacket } from 'werift';
import type { SignalingReply } from '../../operators/messages/index.ts';
import { WebRTCClientParams, WebRTCSession, sessionOptionsFrom, type SessionOptions } from '../../operators/webrtc/index.ts';
import { launchSender, startSession, stopSession, type SenderBrowser, type PlainRequest } from '../../testkit/webrtc-sender.ts';
import { readTimeCodeAny } from '../../testkit/timecode.ts';
import { waitFor } from '../../testkit/wait.ts';

/**
 * Packet loss and broken pictures between real Chromium and a WebRTCSession, through the session's
 * `packetFilter` test seam (it sees every video RTP packet before the frame assembler). Packets dropped
 * there were already seen by werift, so no NACK brings them back: the loss is real for the receiver.
 * Chromium sends a canvas time code, so every picture after recovery is checked intact and current.
 */

interface Picture { at: number; keyframe: boolean; clean: boolean; ageMs: number; sessionId: string }

type Filter = (p: RtpPacket) => RtpPacket | null;
let filter: Filter | null = null;
const pictures: Picture[] = [];
const open = new Map<string, WebRTCSession>();
let nextId = 0;
let browser: SenderBrowser;

const options: SessionOptions = {
  ...sessionOptionsFrom(WebRTCClientParams.parse({ codecs: ['VP8'], min_bitrate_kbps: 1500 })),
  packetFilter: (p) => (filter ? filter(p) : p),
};

async function signal(req: PlainRequest): Promise<SignalingReply> {
  if (req.kind === 'offer' || req.kind === 'whip-offer') {
    const id = `s${++nextId}`;
    try {
      const { session, answer } = await WebRTCSession.open(id, req.sdp, 'complete', options, {
        onPicture(frame, meta) {
          const tc = readTimeCodeAny(frame); // planes are only valid now
          pictures.push({ at: performance.now(), keyframe: meta.keyframe, clean: tc.clean, ageMs: Date.now() - tc.ms, sessionId: id });
        },
        onClosed: (closed) => { open.delete(closed); },
        log: { info() {}, debug() {}, warn() {} },
      });
      open.set(id, session);
      return { ok: true, sessionId: id, sdp: answer };
    } catch (err) {
      return { ok: false, status: (err as { status?: number }).status ?? 500, error: (err as Error).message };
    }
  }
  if (req.kind === 'close') {
    await open.get(req.sessionId)?.close('closed by the test');
    return { ok: true, sessionId: req.sessionId };
  }
  return { ok: false, status: 400, error: `${req.kind} is not used here` };
}

before(async () => { browser = await launchSender(signal); });
after(async () => {
  await browser?.close();
  await Promise.all([...open.values()].map((s) => s.close('test over')));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const picturesOf = (id: string, since = 0) => pictures.filter((p) => p.sessionId === id && p.at >= since);

async function streaming(): Promise<{ id: string; session: WebRTCSession }> {
  const r = await startSession(browser.page, { width: 640, height: 480, codec: 'VP8', kind: 'offer', source: 'timecode' });
  assert.ok(r.ok && r.sessionId, `start failed: ${r.error}`);
  return { id: r.sessionId, session: open.get(r.sessionId)! };
}

/** The first keyframe picture after `since`, and how long it took. */
async function recoveredAfter(id: string, since: number, what: string): Promise<Picture> {
  return waitFor(`a keyframe picture after ${what}`, () => picturesOf(id, since).find((p) => p.keyframe), 5000);
}

test('RTP loss: bursts and 3 % random loss break pictures, a PLI brings a keyframe, and intact current video resumes', { timeout: 60_000 }, async (t) => {
  const { id, session } = await streaming();
  await waitFor('30 pictures before any loss', () => picturesOf(id).length >= 30);
  const recoveries: number[] = [];
  for (let burst = 0; burst < 3; burst++) {
    const before = session.stats();
    let toDrop = 6;
    let droppedAt = 0;
    filter = (p) => {
      if (toDrop === 0 || p.payload.length === 0) return p;
      toDrop--;
      droppedAt ||= performance.now();
      return null;
    };
    await waitFor('the burst to be dropped', () => toDrop === 0, 5000);
    filter = null;
    const picture = await recoveredAfter(id, droppedAt, `burst ${burst + 1}`);
    recoveries.push(picture.at - droppedAt);
    const now = session.stats();
    assert.ok(Number(now.lostPackets) > Number(before.lostPackets), `burst ${burst + 1}: no packet counted lost`);
    assert.ok(Number(now.plisSent) > Number(before.plisSent), `burst ${burst + 1}: no PLI sent`);
    assert.ok(picture.clean, `burst ${burst + 1}: the recovered keyframe is damaged`);
    await sleep(500);
  }
  t.diagnostic(`recovery after a 6-packet burst (drop -> next keyframe picture): ${recoveries.map((r) => `${Math.round(r)} ms`).join(', ')}`);

  // 3 % random loss for 3 s (a fixed-seed generator, so a run can be repeated).
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const lostBefore = Number(session.stats().lostPackets);
  const lossStart = performance.now();
  filter = (p) => (p.payload.length > 0 && random() < 0.03 ? null : p);
  await sleep(3000);
  filter = null;
  const lossEnd = performance.now();
  const during = picturesOf(id, lossStart).filter((p) => p.at < lossEnd);
  // The stream may have healed before the phase ended; if not, a keyframe ends the wait.
  const back = await waitFor('a picture after the random-loss phase', () => picturesOf(id, lossEnd)[0], 5000);
  await sleep(1000);
  const after = picturesOf(id, back.at);
  t.diagnostic(`3 % loss for 3 s: ${during.length} pictures during it, first picture ${Math.round(back.at - lossEnd)} ms after it ended, then ${after.length} pictures in ~1 s`);
  assert.ok(Number(session.stats().lostPackets) > lostBefore, 'the random-loss phase lost no packet');
  assert.ok(during.length > 0, 'no picture at all while 3 % of packets were lost');
  assert.ok(after.length >= 15, `video did not resume at rate: ${after.length} pictures in the second after recovery`);
  const damaged = after.filter((p) => !p.clean);
  assert.deepEqual(damaged.length, 0, `${damaged.length} damaged pictures after recovery`);
  assert.ok(Math.max(...after.map((p) => p.ageMs)) < 1000, 'pictures after recovery are not current');
  const s = session.stats();
  assert.equal(s.decodeErrors, 0, 'loss reached the decoder: broken frames must be dropped before it');
  await stopSession(browser.page, id);
});

/** Offset of the VP8 keyframe start code (9d 01 2a) when this packet starts a keyframe (RFC 7741 descriptor), else -1. */
function vp8StartCode(payload: Buffer): number {
  let i = 0;
  const b0 = payload[i++];
  if (!(b0 & 0x10) || (b0 & 0x07) !== 0) return -1; // not the start of partition 0
  if (b0 & 0x80) {
    const x = payload[i++];
    if (x & 0x80) i += payload[i] & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits
    if (x & 0x40) i++; // TL0PICIDX
    if (x & 0x30) i++; // TID / KEYIDX
  }
  if (payload[i] & 0x01) return -1; // P bit: an inter frame
  return payload[i + 3] === 0x9d && payload[i + 4] === 0x01 && payload[i + 5] === 0x2a ? i + 3 : -1;
}

test('a decoder error (keyframes with a broken start code) is counted and answered with a PLI, never a crash; video resumes', { timeout: 60_000 }, async (t) => {
  let toCorrupt = 2;
  let lastCorruptedAt = 0;
  filter = (p) => {
    const at = toCorrupt > 0 ? vp8StartCode(p.payload) : -1;
    if (at < 0) return p;
    toCorrupt--;
    lastCorruptedAt = performance.now();
    const payload = Buffer.from(p.payload);
    payload.fill(0, at, at + 3);
    return new RtpPacket(p.header, payload);
  };
  const { id, session } = await streaming();
  await waitFor('two keyframes to be corrupted', () => toCorrupt === 0, 10_000);
  filter = null;
  const first = await recoveredAfter(id, lastCorruptedAt, 'the broken keyframes');
  await waitFor('30 pictures after the decoder errors', () => picturesOf(id).length >= 30);
  const s = session.stats();
  t.diagnostic(`decodeErrors ${s.decodeErrors}, plisSent ${s.plisSent}; first picture ${Math.round(first.at - lastCorruptedAt)} ms after the last broken keyframe`);
  assert.equal(s.decodeErrors, 2, 'each broken keyframe must be one decode error');
  // One PLI at session start, then at least one for the errors (requests within 300 ms of each other coalesce).
  assert.ok(Number(s.plisSent) >= 2, `expected a PLI at start and one answering the errors, got ${s.plisSent}`);
  assert.ok(picturesOf(id).every((p) => p.at > lastCorruptedAt), 'a picture was decoded from a broken keyframe');
  assert.ok(first.clean, 'the first picture after the errors is damaged');
  await stopSession(browser.page, id);
  assert.ok(!open.has(id), 'the session did not close');
});
