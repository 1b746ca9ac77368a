/**
 * Where the WebRTC receive path's extra CPU goes: node-av's async decode (sendPacket on libuv's pool,
 * what VideoDecoder uses to keep the event loop free, findings trap 5) against its synchronous call on
 * the same thread, measured in the same run on the same encoded streams.
 *
 * Per codec (VP8, H264) and size (720p, 1080p): a 60-frame moving pattern encoded once (GOP 30), decoded
 * 5 times over by VideoDecoder in each mode, alternating modes per repeat. Figures per frame: process CPU
 * (all threads), wall time, and V8 major garbage collections.
 *
 * Usage: node --import tsx bench/decoder.bench.ts [--markdown]
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { CODECS, type CodecName } from '../operators/webrtc/codecs.ts';
import { VideoDecoder } from '../operators/webrtc/video-decoder.ts';
import { encodePattern } from '../test/webrtc/encode.ts';
import { describeMachine, formatMarkdownTable, formatTable, median, writeMarkdown, writeResults } from './lib/index.ts';

const CASES: [CodecName, number, number][] = [['VP8', 1280, 720], ['VP8', 1920, 1080], ['H264', 1280, 720], ['H264', 1920, 1080]];
const REPEATS = 3;
const PASSES = 5;

let majorGcs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
}).observe({ entryTypes: ['gc'] });

interface Sample { cpuMs: number; wallMs: number; majorGcsPer100: number }

async function run(codec: CodecName, stream: { data: Buffer; keyframe: boolean }[], useAsync: boolean): Promise<Sample> {
  const dec = new VideoDecoder(CODECS[codec], 'yuv420p', useAsync);
  let n = 0;
  const decodeAll = async (passes: number) => {
    for (let p = 0; p < passes; p++) for (const f of stream) await dec.decode({ data: f.data, keyframe: f.keyframe, rtpTimestamp: 3000 * n++, arrivalTime: 0, packets: 1 });
  };
  await decodeAll(1); // warm-up
  n = 0;
  majorGcs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await decodeAll(PASSES);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await new Promise((r) => setImmediate(r)); // let the GC observer report
  await dec.close();
  return { cpuMs: (cpu.user + cpu.system) / 1000 / n, wallMs: wall / n, majorGcsPer100: (100 * majorGcs) / n };
}

console.log(`decoder path benchmark — ${describeMachine()}`);
const rows: string[][] = [];
const raw: Record<string, { async: Sample[]; sync: Sample[] }> = {};
for (const [codec, w, h] of CASES) {
  const stream = encodePattern(codec, w, h, 60, 30);
  const key = `${codec} ${h}p`;
  raw[key] = { async: [], sync: [] };
  for (let r = 0; r < REPEATS; r++) {
    for (const useAsync of r % 2 ? [false, true] : [true, false]) raw[key][useAsync ? 'async' : 'sync'].push(await run(codec, stream, useAsync));
  }
  const m = (mode: 'async' | 'sync', f: keyof Sample) => median(raw[key][mode].map((s) => s[f]));
  rows.push([codec, `${h}p`, m('async', 'cpuMs').toFixed(2), m('sync', 'cpuMs').toFixed(2), `${(m('async', 'cpuMs') / m('sync', 'cpuMs')).toFixed(2)}x`,
    m('async', 'wallMs').toFixed(2), m('sync', 'wallMs').toFixed(2), m('async', 'majorGcsPer100').toFixed(1), m('sync', 'majorGcsPer100').toFixed(1)]);
  console.log(`  ${key} done`);
}
const head = ['codec', 'size', 'async CPU ms/frame', 'sync CPU ms/frame', 'async / sync', 'async wall ms', 'sync wall ms', 'async major GCs /100 frames', 'sync major GCs /100 frames'];
console.log('\n' + formatTable(head, rows));
const md = formatMarkdownTable(head, rows);
writeMarkdown('decoder', md);
if (process.argv.includes('--markdown')) console.log('\n' + md);
console.log(`\nresults: ${writeResults('decoder', { repeats: REPEATS, passes: PASSES, frames: 61, raw })}`);
