/**
 * Recording overhead on a live 720p30 stream: what VideoStreamRecorderOp adds per frame. Two child
 * processes get the same EncodedFrames at 30 fps, as WebRTCClientOp's `encoded` output delivers them
 * from a webcam session (one compressed frame each 33 ms, H264 or VP8, ~2 Mbps of a panning, grainy
 * 720p scene): one into a sink that reads a byte, one into the recorder writing a file. Each child
 * reports its own CPU (process.cpuUsage, that process only) over the paced run; the frames are encoded
 * beforehand, outside that window. The difference per frame is the recording's cost (goal < 0.3 ms).
 *   node --import tsx bench/recording.bench.ts [--frames N] [--runs N]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { Application, defineOperator, port } from '../framework/index.ts';
import { EncodedFrame, type VideoCodecName } from '../operators/messages/index.ts';
import { FrameEncoder, VideoStreamRecorderOp } from '../operators/recording/index.ts';
import { codedFrame } from '../testkit/clip.ts';
import { describeMachine, formatMarkdownTable, ownCpuMs, writeMarkdown, writeResults } from './lib/index.ts';

const self = fileURLToPath(import.meta.url);
const arg = (name: string, dflt: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const WIDTH = 1280, HEIGHT = 720, FPS = 30;

/** cpuMs over the whole paced run; steadyCpuMs over its frames after the first second (the file open and the keyframe probe are behind it). */
interface Run { frames: number; cpuMs: number; steadyCpuMs: number; steadyFrames: number; wallMs: number; bytes: number; files: number }
/** The first second of frames: the file is open and probed by then. */
const STEADY_FROM = 30;

/** A webcam session's compressed frames, encoded before the measured run. */
async function encodeSession(codec: VideoCodecName, frames: number): Promise<EncodedFrame[]> {
  const enc = await FrameEncoder.open({ codec, width: WIDTH, height: HEIGHT, fps: FPS, bitrateKbps: 2000, globalHeader: false, keyframeInterval: 60 });
  const out: EncodedFrame[] = [];
  const add = (p: { data: Uint8Array; keyframe: boolean; timestamp: number }) =>
    out.push({ codec, keyframe: p.keyframe, timestamp: p.timestamp, data: p.data as EncodedFrame['data'], streamId: 'session', width: WIDTH, height: HEIGHT });
  for (let i = 0; i < frames; i++) for (const p of await enc.encode(codedFrame(WIDTH, HEIGHT, i, (i * 1000) / FPS, 'camera'))) add(p);
  for (const p of await enc.flush()) add(p);
  enc.close();
  return out;
}

async function child(kind: 'sink' | 'recorder', codec: VideoCodecName, frames: number, dir: string): Promise<Run> {
  const session = await encodeSession(codec, frames);
  const bytes = session.reduce((a, f) => a + f.data.length, 0);
  let i = 0, touched = 0, cpuAtSteady = NaN;
  // Paced like a live session: one frame per compute, 30 times a second, then the session's end.
  const Session = defineOperator({
    name: 'LiveSession', params: z.object({}).strict(), outputs: { out: port(EncodedFrame) },
    compute(_in, emit, ctx) {
      if (i === STEADY_FROM) cpuAtSteady = ownCpuMs();
      if (i < session.length) { emit.out(session[i], { seq: i }); i++; return; }
      emit.out({ codec, keyframe: false, timestamp: session.at(-1)!.timestamp + 33, data: new Uint8Array(0) as EncodedFrame['data'], streamId: 'session', endOfStream: true }, { seq: i });
      ctx.disable();
    },
  });
  const Sink = defineOperator({ name: 'Sink', params: z.object({}).strict(), inputs: { in: port(EncodedFrame) }, compute({ in: f }) { touched += f.data[0] ?? 0; } });
  const app = new Application('recording_bench', { logLevel: 'warn' });
  const src = app.add('session', Session, { conditions: [{ type: 'periodic', period: `${FPS}Hz` }] });
  if (kind === 'sink') app.addFlow(src, app.add('sink', Sink), [['out', 'in']]);
  else app.addFlow(src, app.add('recorder', VideoStreamRecorderOp, { params: { directory: dir, file_pattern: '{stream}.{ext}' } }), [['out', 'encoded']]);
  const cpu0 = ownCpuMs(), t0 = performance.now();
  await app.run();
  if (touched < 0) console.log(touched);
  const cpu1 = ownCpuMs();
  return { frames: session.length, cpuMs: cpu1 - cpu0, steadyCpuMs: cpu1 - cpuAtSteady, steadyFrames: session.length - STEADY_FROM, wallMs: performance.now() - t0, bytes, files: kind === 'recorder' ? readdirSync(dir).length : 0 };
}

if (process.argv[2] === '--child') {
  const [, , , kind, codec, frames, dir] = process.argv;
  process.stdout.write(JSON.stringify(await child(kind as 'sink' | 'recorder', codec as VideoCodecName, Number(frames), dir)) + '\n');
  process.exit(0);
}

const FRAMES = arg('frames', 300), RUNS = arg('runs', 2);
const rows: string[][] = [];
const results: unknown[] = [];
for (const codec of ['H264', 'VP8'] as const) {
  const runs: Record<'sink' | 'recorder', Run[]> = { sink: [], recorder: [] };
  for (let r = 0; r < RUNS; r++) {
    for (const kind of ['sink', 'recorder'] as const) {
      const dir = mkdtempSync(join(os.tmpdir(), 'holots-bench-record-'));
      try {
        console.error(`${codec} ${kind} run ${r + 1}/${RUNS} (${FRAMES} frames at ${FPS} fps)...`);
        const p = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', kind, codec, String(FRAMES), dir], { encoding: 'utf8' });
        if (p.status !== 0) throw new Error(`${kind} child failed: ${p.stderr}`);
        const run = JSON.parse(p.stdout.trim().split('\n').at(-1)!) as Run;
        if (kind === 'recorder' && (run.files !== 1 || statSync(join(dir, readdirSync(dir)[0])).size < run.bytes)) throw new Error(`the recorder did not write the whole session: ${JSON.stringify(run)}`);
        runs[kind].push(run);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  // Least CPU of the runs for each side: the machine is shared, the quietest run is the closest to the truth.
  const best = (k: 'sink' | 'recorder') => runs[k].reduce((a, b) => (a.cpuMs / a.frames <= b.cpuMs / b.frames ? a : b));
  const s = best('sink'), w = best('recorder');
  const perFrame = (r: Run) => r.cpuMs / r.frames;
  const steady = (r: Run) => r.steadyCpuMs / r.steadyFrames;
  const mbps = (s.bytes * 8) / (s.frames / FPS) / 1e6;
  rows.push([codec, `${WIDTH}x${HEIGHT}`, `${mbps.toFixed(1)} Mbps`, String(w.frames), perFrame(s).toFixed(3), perFrame(w).toFixed(3),
    (perFrame(w) - perFrame(s)).toFixed(3), `${(perFrame(w) / perFrame(s)).toFixed(2)}x`, (steady(w) - steady(s)).toFixed(3)]);
  results.push({ codec, frames: FRAMES, runs });
}
const load = os.loadavg().map((v) => v.toFixed(1)).join(' / ');
const md = formatMarkdownTable(
  ['codec', 'size', 'stream', 'frames', 'sink CPU ms/frame', 'recorder CPU ms/frame', 'added by recording, ms/frame', 'recorder / sink', 'added, steady state (after the first second)'],
  rows,
) + `\n\nA live session's compressed frames at ${FPS} fps (encoded beforehand from a panning, grainy scene; 'stream' is the real bitrate), into a sink or into VideoStreamRecorderOp writing ${'`{stream}.mkv`/`.webm`'} (flushed every second). Each side in its own process, its own CPU over the paced run (the whole run: a session this short pays the file's opening and the keyframe probe in it; steady state: from the 31st frame on); best (least CPU per frame) of ${RUNS} runs. Goal: added < 0.3 ms/frame. ${describeMachine()}; load average ${load}.`;
writeResults('recording', { load: os.loadavg(), results });
writeMarkdown('recording', md);
console.log(md);
