import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { Application, defineOperator, port } from '../../framework/index.ts';
import { EncodedFrame, VideoFrame } from '../../operators/messages/index.ts';
import { VideoFileReader, VideoStreamRecorderOp, VideoStreamReplayerOp } from '../../operators/recording/index.ts';
import { ROOT, runHolots } from '../../testkit/app-process.ts';
import { makeClip, readIndex } from '../../testkit/clip.ts';

let dir: string;
const clips: Record<string, string> = {};
const FRAMES = 45, FPS = 30;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holots-replay-'));
  clips.vp9 = join(dir, 'clip-vp9.webm');
  clips.h264 = join(dir, 'clip-h264.mp4');
  clips.av1 = join(dir, 'clip-av1.webm');
  await makeClip(clips.vp9, { codec: 'VP9', width: 320, height: 240, frames: FRAMES, fps: FPS });
  await makeClip(clips.h264, { codec: 'H264', container: 'mp4', width: 320, height: 240, frames: FRAMES, fps: FPS });
  await makeClip(clips.av1, { codec: 'AV1', width: 320, height: 240, frames: FRAMES, fps: FPS });
});

after(async () => { await rm(dir, { recursive: true, force: true }); });

/** Collects what a replay emits: each picture's index code and timestamp, and the encoded frames. */
function sinks() {
  const pictures: { index: number; timestamp: number; width: number }[] = [];
  const encoded: EncodedFrame[] = [];
  const Pictures = defineOperator({
    name: 'Pictures', params: z.object({}).strict(), inputs: { in: port(VideoFrame) },
    compute({ in: f }) { pictures.push({ index: readIndex(f), timestamp: f.timestamp, width: f.width }); },
  });
  const Encoded = defineOperator({
    name: 'Encoded', params: z.object({}).strict(), inputs: { in: port(EncodedFrame, { capacity: 256 }) },
    compute({ in: f }) { encoded.push(f); },
  });
  return { pictures, encoded, Pictures, Encoded };
}

async function replay(params: Record<string, unknown>, withEncoded = true) {
  const s = sinks();
  const app = new Application('replay_test', { logLevel: 'warn' });
  const rep = app.add('replayer', VideoStreamReplayerOp, { params: params as never });
  app.addFlow(rep, app.add('pictures', s.Pictures), [['output', 'in']]);
  if (withEncoded) app.addFlow(rep, app.add('encoded', s.Encoded), [['encoded', 'in']]);
  const t0 = performance.now();
  await app.run(); // ends by itself at the end of the file
  return { ...s, wallMs: performance.now() - t0 };
}

for (const name of ['vp9', 'h264', 'av1'] as const) {
  test(`${name}: a graph that only replays ends by itself; every picture in order at the file's rate; the encoded frames beside them`, { timeout: 60_000 }, async () => {
    const r = await replay({ filename: clips[name], realtime: false });
    assert.deepEqual(r.pictures.map((p) => p.index), Array.from({ length: FRAMES }, (_, i) => i), 'each picture carries its own index, none lost or repeated');
    const steps = r.pictures.slice(1).map((p, i) => p.timestamp - r.pictures[i].timestamp);
    for (const s of steps) assert.ok(Math.abs(s - 1000 / FPS) <= 1, `timestamps step ${s} ms, not ${1000 / FPS}`);
    assert.equal(r.encoded.length, FRAMES + 1);
    assert.equal(r.encoded.at(-1)!.endOfStream, true);
    assert.equal(r.encoded[0].keyframe, true);
    assert.equal(r.encoded[0].codec, name.toUpperCase());
    if (name === 'h264') assert.deepEqual([...r.encoded[0].data.subarray(0, 4)], [0, 0, 0, 1], 'H264 from MP4 comes out as Annex B');
  });
}

test('realtime takes the file\'s own time; start_ms, count and repeat', { timeout: 60_000 }, async () => {
  const rt = await replay({ filename: clips.vp9 }, false);
  assert.equal(rt.pictures.length, FRAMES);
  assert.ok(rt.wallMs >= (FRAMES - 1) * (1000 / FPS) * 0.95, `realtime replay of ${FRAMES} frames took only ${rt.wallMs.toFixed(0)} ms`);
  const cut = await replay({ filename: clips.h264, realtime: false, start_ms: 500, count: 10 });
  assert.deepEqual(cut.pictures.map((p) => p.index), Array.from({ length: 10 }, (_, i) => 15 + i), 'starts at 500 ms (frame 15), stops after 10');
  const looped = await replay({ filename: clips.vp9, realtime: false, repeat: true, count: FRAMES + 15 });
  assert.deepEqual(looped.pictures.map((p) => p.index), [...Array.from({ length: FRAMES }, (_, i) => i), ...Array.from({ length: 15 }, (_, i) => i)]);
  for (let i = 1; i < looped.pictures.length; i++) assert.ok(looped.pictures[i].timestamp > looped.pictures[i - 1].timestamp, 'timestamps keep increasing across a repeat');
});

test('replayer -> recorder copies the stream without re-encoding and ends by itself; the copy replays the same pictures', { timeout: 60_000 }, async () => {
  const out = join(dir, 'copy');
  const app = new Application('copy_test', { logLevel: 'warn' });
  const rep = app.add('replayer', VideoStreamReplayerOp, { params: { filename: clips.h264, realtime: false } });
  const rec = app.add('recorder', VideoStreamRecorderOp, { params: { directory: out, file_pattern: '{stream}.{ext}' } });
  app.addFlow(rep, rec, [['encoded', 'encoded']]);
  await app.run(); // the replayer's end of stream ends the recorder, and with it the run
  const file = join(out, 'clip-h264.mp4.mkv');
  assert.ok(existsSync(file), `the recorder finished ${file} at endOfStream`);
  const reader = await VideoFileReader.open(file);
  const indices: number[] = [];
  for (let s; (s = await reader.next());) for (const p of s.pictures) indices.push(readIndex(p));
  await reader.close();
  assert.deepEqual(indices, Array.from({ length: FRAMES }, (_, i) => i));
});

test('holots run apps/video_replayer/app.yaml ends by itself at the end of a clip', { timeout: 60_000 }, () => {
  const r = spawnSync(process.execPath, ['bin/holots.js', 'run', 'apps/video_replayer/app.yaml', '--file', clips.vp9, '--fast', '--set', 'holoviz.headless=true'], { cwd: ROOT, encoding: 'utf8', timeout: 50_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`replayed clip-vp9.webm: ${FRAMES} pictures`));
});

test('a recording whose process is killed (kill -9) mid-stream still replays, as <name>.part', { timeout: 60_000 }, async () => {
  const out = join(dir, 'killed');
  const p = runHolots(['run', 'test/recording/fixtures/record-replay.yaml', '--set', `replayer.filename=${clips.vp9}`, '--set', `recorder.directory=${out}`]);
  await p.waitForOutput(/recording clip-vp9\.webm/, 30_000);
  // Past one repeat of the clip and a few flush intervals.
  await new Promise((r) => setTimeout(r, 2500));
  p.proc.kill('SIGKILL');
  await p.exited;
  const part = join(out, 'clip-vp9.webm.webm.part');
  assert.ok(existsSync(part), `left behind: ${readdirSync(out).join(', ')}`);
  assert.ok(!existsSync(join(out, 'clip-vp9.webm.webm')), 'never renamed: it does not pretend to be whole');
  const reader = await VideoFileReader.open(part);
  const indices: number[] = [];
  for (let s; (s = await reader.next());) for (const pic of s.pictures) indices.push(readIndex(pic));
  await reader.close();
  assert.ok(indices.length >= 20, `only ${indices.length} pictures replayed from the killed file`);
  assert.deepEqual(indices, indices.map((_, i) => i % FRAMES), 'every picture up to the cut, in order');
});

test('bad input: a clear error naming the file, nothing left pretending to be whole', { timeout: 60_000 }, async (t) => {
  const expectReplayError = async (filename: string, pattern: RegExp) => {
    const app = new Application('bad_replay', { logLevel: 'error' });
    app.add('replayer', VideoStreamReplayerOp, { params: { filename } });
    await assert.rejects(app.run(), (err: Error) => { assert.match(err.message, pattern); assert.ok(err.message.includes(filename), err.message); return true; });
  };
  await expectReplayError(join(dir, 'missing.webm'), /no such file/);
  const garbage = join(dir, 'garbage.mp4');
  writeFileSync(garbage, Buffer.alloc(4096, 0x5a));
  await expectReplayError(garbage, /FFmpeg cannot read it as a media file|stream information/);
  // A WAV file: read fine, but no picture in it.
  const wav = join(dir, 'silence.wav');
  const pcm = Buffer.alloc(8000 * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + pcm.length, 4); h.write('WAVEfmt ', 8); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24); h.writeUInt32LE(16000, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34); h.write('data', 36); h.writeUInt32LE(pcm.length, 40);
  writeFileSync(wav, Buffer.concat([h, pcm]));
  await expectReplayError(wav, /no video stream/);
  // An IVF file whose fourcc names no codec FFmpeg knows.
  const ivf = Buffer.alloc(32 + 12 + 64);
  ivf.write('DKIF', 0); ivf.writeUInt16LE(0, 4); ivf.writeUInt16LE(32, 6); ivf.write('ZZZZ', 8); ivf.writeUInt16LE(320, 12); ivf.writeUInt16LE(240, 14);
  ivf.writeUInt32LE(30, 16); ivf.writeUInt32LE(1, 20); ivf.writeUInt32LE(1, 24); ivf.writeUInt32LE(64, 32);
  const unknown = join(dir, 'unknown-codec.ivf');
  writeFileSync(unknown, ivf);
  await expectReplayError(unknown, /no decoder|no video stream|cannot read/);

  // A directory that cannot be made (its parent is a file).
  const blocked = join(garbage, 'recordings');
  const app = new Application('bad_record', { logLevel: 'error' });
  app.add('recorder', VideoStreamRecorderOp, { params: { directory: blocked } });
  await assert.rejects(app.run(), (err: Error) => { assert.match(err.message, /recording directory cannot be written/); assert.ok(err.message.includes(blocked)); return true; });

  // A full disk: a tmpfs smaller than the clip (we need root to mount it).
  const full = join(dir, 'full');
  mkdirSync(full);
  const big = join(dir, 'big.webm');
  await makeClip(big, { codec: 'VP9', width: 640, height: 480, frames: 60, fps: 30, bitrateKbps: 8000 });
  const size = Math.max(4096, Math.floor(statSync(big).size / 2 / 4096) * 4096);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', full]).status === 0;
  if (!mounted) { t.diagnostic('not root: the full-disk case was not run'); return; }
  try {
    const fullApp = new Application('full_disk', { logLevel: 'error' });
    const rep = fullApp.add('replayer', VideoStreamReplayerOp, { params: { filename: big, realtime: false } });
    fullApp.addFlow(rep, fullApp.add('recorder', VideoStreamRecorderOp, { params: { directory: full, file_pattern: 'full.{ext}' } }), [['encoded', 'encoded']]);
    await assert.rejects(fullApp.run(), (err: Error) => { assert.match(err.message, /full\.webm\.part.*(No space|space left)/i); return true; });
    assert.deepEqual(readdirSync(full), ['full.webm.part'], 'only the .part file, never renamed to look whole');
  } finally {
    spawnSync('umount', [full]);
  }
});
