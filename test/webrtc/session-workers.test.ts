import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { Application, defineOperator, port } from '../../framework/index.ts';
import { EncodedFrame, type EndedSession, type SignalingReply } from '../../operators/messages/index.ts';
import { WebRTCClientOp, runningSessionWorkerHosts } from '../../operators/webrtc/index.ts';
import { launchSender, makeFrameSink, makeSignalingInjector, startSession, stopSession, type SenderBrowser } from '../../testkit/webrtc-sender.ts';
import { readTimeCodeAny as readTimeCode } from '../../testkit/timecode.ts';
import { waitFor } from '../../testkit/wait.ts';
import { writePng } from './picture.ts';

/**
 * WebRTCClientOp with `session_workers: 2`: real headless Chromium -> sessions on two worker threads ->
 * pictures in the graph. Loopback only.
 */
const injector = makeSignalingInjector();
const clean = new Map<string, number>();
const sink = makeFrameSink({ onFrame: (f, meta) => { if (f.width === 1280 && readTimeCode(f).clean) clean.set(String(meta.sessionId), (clean.get(String(meta.sessionId)) ?? 0) + 1); } });
const encoded: EncodedFrame[] = [];
const EncodedSink = defineOperator({
  name: 'EncodedSink',
  params: z.object({}).strict(),
  inputs: { in: port(EncodedFrame, { capacity: 256 }) },
  compute({ in: frame }) { encoded.push(frame); },
});
const encodedOf = (id: string) => encoded.filter((f) => f.streamId === id);
let app: Application;
let running: Promise<void>;
let browser: SenderBrowser;
/** Threads and file descriptors (UDP sockets among them) of this process before the app started. */
let before0: { threads: number; fds: number };

const threads = () => readdirSync('/proc/self/task').length;
const fds = () => readdirSync('/proc/self/fd').length;
const framesOf = (id: string) => sink.samples.filter((s) => s.sessionId === id);
type Stats = Extract<SignalingReply, { ok: true }>;
async function stats(): Promise<Stats> {
  const r = await injector.send({ kind: 'stats' });
  assert.ok(r.ok, 'stats refused');
  return r;
}

before(async () => {
  browser = await launchSender(injector.send);
  await readFile(new URL(import.meta.url)); // libuv's thread pool exists before the baseline
  before0 = { threads: threads(), fds: fds() };
  app = new Application('webrtc_session_workers_test', { logLevel: 'error' });
  const rx = app.add('webrtc', WebRTCClientOp, { params: { max_sessions: 4, session_workers: 2 } });
  app.addFlow(app.add('signaling', injector.op), rx).addFlow(rx, app.add('sink', sink.op), [['output', 'in']]).addFlow(rx, app.add('encoded', EncodedSink), [['encoded', 'in']]);
  running = app.run();
  // Signaling is answered once the op has started, i.e. once its workers loaded werift and node-av (seconds on a busy machine).
  assert.ok((await injector.send({ kind: 'config' }, 90_000)).ok);
});

after(async () => {
  app?.stop();
  await running;
  await browser?.close();
});

/** A picture from Chromium's fake camera: a moving pattern on a green field, not flat, not grey. */
function assertCameraPicture(id: string, label: string): void {
  const last = framesOf(id).at(-1)!;
  assert.ok(last.lumaStd > 8, `${label}: picture is flat (luma std ${last.lumaStd.toFixed(1)})`);
  assert.ok(Math.abs(last.chroma[0] - 128) + Math.abs(last.chroma[1] - 128) > 40, `${label}: picture is grey`);
  const png = writePng(`test-artifacts/webrtc/session-worker-${label}.png`, sink.last.get(id)!);
  assert.ok(png.mean[1] > png.mean[0] + 30 && png.mean[1] > png.mean[2] + 30, `${label}: the PNG is not green-dominated`);
}

let camera = '';
let timecode = '';

test('two sessions land on two session workers; both deliver real pictures; /stats says which worker holds each', { timeout: 60_000 }, async () => {
  const a = await startSession(browser.page, { width: 640, height: 480, codec: 'VP8', kind: 'offer' });
  const b = await startSession(browser.page, { width: 1280, height: 720, codec: 'H264', kind: 'whip-offer', source: 'timecode' });
  assert.ok(a.ok && b.ok, `${a.error} ${b.error}`);
  camera = a.sessionId!;
  timecode = b.sessionId!;
  await waitFor('20 pictures from each session (time codes intact)', () => framesOf(camera).length >= 20 && (clean.get(timecode) ?? 0) >= 20, 30_000);
  assert.ok(framesOf(camera).every((f) => f.codec === 'VP8' && f.width === 640 && f.height === 480 && f.format === 'yuv420p'));
  assert.ok(framesOf(timecode).every((f) => f.codec === 'H264' && f.width === 1280 && f.height === 720));
  assertCameraPicture(camera, 'VP8-640x480');
  // The encoded output crosses from the workers too: each stream from a keyframe on, in order, in its codec.
  for (const [id, codec] of [[camera, 'VP8'], [timecode, 'H264']] as const) {
    const frames = encodedOf(id);
    assert.ok(frames.length >= 20 && frames[0].keyframe && frames.every((f) => f.codec === codec && f.data.length > 0), `${codec}: ${frames.length} encoded frames`);
    assert.ok(frames.every((f, i) => i === 0 || f.timestamp >= frames[i - 1].timestamp), `${codec}: encoded frames out of order`);
  }
  const s = await stats();
  const where = new Map(s.stats!.map((x) => [x.id, x.sessionWorker]));
  assert.deepEqual(new Set([where.get(camera), where.get(timecode)]), new Set([1, 2]), `sessions spread over the workers: ${JSON.stringify([...where])}`);
  assert.equal(s.sessionWorkers?.length, 2);
  assert.ok(s.sessionWorkers!.every((w) => w.decoders === 1 && w.sessions === 1 && w.restarts === 0), JSON.stringify(s.sessionWorkers));
});

test('a session whose worker throws ends alone with a named reason; the worker is replaced and the next Start works', { timeout: 60_000 }, async () => {
  assert.ok(camera && timecode, 'needs the sessions of the first test');
  const [host] = runningSessionWorkerHosts();
  const faulty = (await stats()).stats!.find((x) => x.id === camera)!.sessionWorker;
  host.faultWorkerOf(camera, 'injected fault for the test');
  const ended = await waitFor('the session on the faulty worker to end', async () => (await stats()).ended?.find((e: EndedSession) => e.id === camera), 10_000) as EndedSession;
  assert.match(ended.reason, new RegExp(`^session worker ${faulty} died: uncaught Error: injected fault for the test`));
  // The other session goes on.
  const before = clean.get(timecode) ?? 0;
  await waitFor('20 more pictures from the other session', () => (clean.get(timecode) ?? 0) >= before + 20);
  const s = await stats();
  assert.deepEqual(s.stats!.map((x) => x.id), [timecode]);
  assert.equal(s.sessionWorkers!.find((w) => w.index === faulty)!.restarts, 1);
  // Start again once the replacement has loaded: it is the least loaded, so it takes the session.
  await waitFor('the replacement worker to load', async () => (await stats()).sessionWorkers!.every((w) => !w.loading), 60_000);
  const c = await startSession(browser.page, { width: 640, height: 480, codec: 'VP8', kind: 'offer' });
  assert.ok(c.ok, c.error);
  await waitFor('20 pictures after the restart', () => framesOf(c.sessionId!).length >= 20, 30_000);
  assertCameraPicture(c.sessionId!, 'after-fault');
  assert.equal((await stats()).stats!.find((x) => x.id === c.sessionId)!.sessionWorker, faulty);
  for (const id of [c.sessionId!, timecode]) assert.ok((await stopSession(browser.page, id)).ok);
  // The page's side of the session that ended with its worker (the server no longer knows it).
  await stopSession(browser.page, camera, false);
});

test('Stop/Start cycles leave no socket or decoder behind; stopping the app leaves no worker thread', { timeout: 60_000 }, async () => {
  const idle = async () => {
    const s = await stats();
    return s.stats!.length === 0 && s.sessionWorkers!.every((w) => w.decoders === 0 && w.sessions === 0) && s;
  };
  await waitFor('no session and no decoder open', idle, 10_000);
  const fdsIdle = fds();
  for (let i = 0; i < 3; i++) {
    const r = await startSession(browser.page, { width: 640, height: 480, codec: i % 2 ? 'H264' : 'VP8', kind: 'offer' });
    assert.ok(r.ok, r.error);
    await waitFor(`pictures in cycle ${i + 1}`, () => framesOf(r.sessionId!).length >= 10);
    assert.ok((await stopSession(browser.page, r.sessionId!)).ok);
    await waitFor(`the encoded stream of cycle ${i + 1} to end`, () => encodedOf(r.sessionId!).at(-1)?.endOfStream);
    await waitFor(`no session and no decoder open after cycle ${i + 1}`, idle, 10_000);
    // Each session's UDP socket is a descriptor of this process, whichever thread opened it.
    await waitFor(`descriptors back to ${fdsIdle} after cycle ${i + 1} (now ${fds()})`, () => fds() <= fdsIdle, 10_000);
  }
  app.stop();
  await running;
  assert.deepEqual(runningSessionWorkerHosts(), []);
  await waitFor(`threads back to ${before0.threads} (now ${threads()})`, () => threads() <= before0.threads, 10_000);
  await waitFor(`descriptors back to ${before0.fds} (now ${fds()})`, () => fds() <= before0.fds, 10_000);
});
