/**
 * WebRTC receive bench: Chromium (fake camera, or a canvas time code) -> WebRTCClientOp -> a sink.
 * Per codec and size: sustained fps, receive+decode cost per frame, process CPU, offer-to-first-frame;
 * glass-to-glass latency from a canvas time code at 720p; and a baseline measured in the same run
 * (output_format rgba, i.e. a CPU colour conversion per frame, against the default yuv420p planes).
 * Run: node --import tsx bench/webrtc.bench.ts   (about 2-3 minutes)
 */
import { Application } from '../framework/index.ts';
import { WebRTCClientOp } from '../operators/webrtc/index.ts';
import { firstEncodedAt, launchSender, makeFrameSink, makeSignalingInjector, startSession, stopSession, type SenderBrowser, type PlainRequest } from '../testkit/webrtc-sender.ts';
import { readTimeCodeAny } from '../testkit/timecode.ts';
import { waitFor } from '../testkit/wait.ts';
import type { SignalingReply } from '../operators/messages/index.ts';
import { formatMarkdownTable, quantileOfSorted, sorted, writeMarkdown, writeResults } from './lib/index.ts';

const CODECS = ['VP8', 'VP9', 'H264', 'AV1'] as const;
const SIZES = [[640, 480], [1280, 720], [1920, 1080]] as const;
const MEASURE_MS = Number(process.env.WEBRTC_BENCH_MS ?? 4000);

const pct = (xs: number[], p: number) => quantileOfSorted(sorted(xs), p / 100);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

let forward: (r: PlainRequest) => Promise<SignalingReply> = async () => ({ ok: false, status: 503, error: 'no graph' });
const browser: SenderBrowser = await launchSender((r) => forward(r));

interface Row { [k: string]: string | number }

async function run(codec: string, width: number, height: number, opts: { source?: 'camera' | 'timecode'; output?: 'yuv420p' | 'rgba' } = {}): Promise<Row> {
  const injector = makeSignalingInjector();
  const latencies: number[] = [];
  let damaged = 0;
  const sink = makeFrameSink({
    onFrame: (f) => {
      if (opts.source !== 'timecode') return;
      const tc = readTimeCodeAny(f);
      if (!tc.clean) { damaged++; return; }
      latencies.push(performance.timeOrigin + performance.now() - tc.ms);
    },
  });
  const app = new Application('webrtc_bench', { logLevel: 'error' });
  const src = app.add('signaling', injector.op);
  const rx = app.add('webrtc', WebRTCClientOp, { params: { output_format: opts.output ?? 'yuv420p' } });
  app.addFlow(src, rx).addFlow(rx, app.add('sink', sink.op));
  const running = app.run();
  forward = injector.send;
  try {
    const r = await startSession(browser.page, { width, height, codec, kind: 'offer', source: opts.source ?? 'camera' });
    if (!r.ok) throw new Error(`${codec} ${width}x${height}: ${r.status} ${r.error}`);
    const first = await waitFor('a first frame', () => sink.samples[0], 10_000);
    const firstFrameMs = first.receivedAt - r.offerAt!;
    // Split it: the browser's share (offer to its encoder's first frame) and holots' (that frame to the picture).
    const encoded = await firstEncodedAt(browser.page, r.sessionId!);
    const senderFirstFrameMs = encoded === null ? NaN : encoded.at - r.offerAt!;
    const connectedMs = encoded?.connectedAt == null ? NaN : encoded.connectedAt - r.offerAt!;
    // Let the sender ramp up, then measure a steady window.
    await new Promise((res) => setTimeout(res, 1000));
    const n0 = sink.samples.length;
    latencies.length = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((res) => setTimeout(res, MEASURE_MS));
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    const window = sink.samples.slice(n0);
    const statsReply = await injector.send({ kind: 'stats' });
    const s = statsReply.ok ? statsReply.stats![0] : undefined;
    await stopSession(browser.page, r.sessionId!);
    const decode = window.map((x) => x.decodeMs);
    const recvToSink = window.map((x) => x.receivedAt - x.arrivalTime);
    return {
      codec, size: `${width}x${height}`, output: opts.output ?? 'yuv420p', source: opts.source ?? 'camera',
      fps: +(window.length / (wall / 1000)).toFixed(1),
      decodeMsMean: +mean(decode).toFixed(2), decodeMsP95: +pct(decode, 95).toFixed(2),
      lastPacketToSinkMsP50: +pct(recvToSink, 50).toFixed(2), lastPacketToSinkMsP95: +pct(recvToSink, 95).toFixed(2),
      cpuPct: +(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(1),
      firstFrameMs: +firstFrameMs.toFixed(0),
      senderFirstFrameMs: +senderFirstFrameMs.toFixed(0),
      connectedMs: +connectedMs.toFixed(0),
      firstEncodeMs: encoded === null ? NaN : +encoded.encodeMs.toFixed(0),
      holotsFirstFrameMs: +(firstFrameMs - senderFirstFrameMs).toFixed(0),
      framesDropped: Number(s?.framesDropped ?? -1), lostPackets: Number(s?.lostPackets ?? -1), paddingPackets: Number(s?.paddingPackets ?? -1),
      plisSent: Number(s?.plisSent ?? -1), superseded: Number(s?.superseded ?? -1),
      ...(opts.source === 'timecode' ? { latencyP50: +pct(latencies, 50).toFixed(1), latencyP95: +pct(latencies, 95).toFixed(1), timecodeFrames: latencies.length, damaged } : {}),
    };
  } finally {
    app.stop();
    await running;
  }
}

const t0 = Date.now();
const throughput: Row[] = [];
for (const codec of CODECS) for (const [w, h] of SIZES) { throughput.push(await run(codec, w, h)); console.error(JSON.stringify(throughput.at(-1))); }
const latency: Row[] = [];
for (const codec of CODECS) { latency.push(await run(codec, 1280, 720, { source: 'timecode' })); console.error(JSON.stringify(latency.at(-1))); }
const baseline: Row[] = [];
for (const codec of ['VP8', 'H264'] as const) {
  for (const output of ['rgba', 'yuv420p'] as const) { baseline.push(await run(codec, 1920, 1080, { output })); console.error(JSON.stringify(baseline.at(-1))); }
}
await browser.close();

const table = (rows: Row[], cols: string[]) => formatMarkdownTable(cols, rows.map((r) => cols.map((c) => String(r[c] ?? ''))));
console.log('\n## Throughput (Chromium fake camera, 30 fps)\n');
console.log(table(throughput, ['codec', 'size', 'fps', 'decodeMsMean', 'decodeMsP95', 'lastPacketToSinkMsP50', 'cpuPct', 'firstFrameMs', 'connectedMs', 'senderFirstFrameMs', 'firstEncodeMs', 'holotsFirstFrameMs', 'framesDropped', 'lostPackets', 'plisSent']));
console.log('\n## Glass-to-glass latency, canvas time code at 720p (ms, sender Date.now() to decoded frame in the sink)\n');
console.log(table(latency, ['codec', 'size', 'fps', 'latencyP50', 'latencyP95', 'timecodeFrames', 'damaged', 'decodeMsMean', 'framesDropped']));
console.log('\n## Baseline in the same run: rgba output (CPU colour conversion) vs yuv420p planes, 1080p\n');
console.log(table(baseline, ['codec', 'output', 'fps', 'decodeMsMean', 'decodeMsP95', 'cpuPct']));
for (const codec of ['VP8', 'H264']) {
  const rgba = baseline.find((r) => r.codec === codec && r.output === 'rgba')!;
  const yuv = baseline.find((r) => r.codec === codec && r.output === 'yuv420p')!;
  console.log(`${codec} 1080p: per-frame cost yuv420p/rgba = ${(Number(yuv.decodeMsMean) / Number(rgba.decodeMsMean)).toFixed(2)}x, CPU ${(Number(yuv.cpuPct) / Number(rgba.cpuPct)).toFixed(2)}x`);
}
const goals = {
  '1080p30 no drops (all codecs)': throughput.filter((r) => String(r.size) === '1920x1080').every((r) => Number(r.fps) >= 28 && Number(r.framesDropped) === 0),
  'latency p50 <= 15 ms at 720p (all codecs)': latency.every((r) => Number(r.latencyP50) <= 15),
  'first frame <= 500 ms after the offer (all runs)': throughput.every((r) => Number(r.firstFrameMs) <= 500),
  // The browser's encoder decides when its first frame exists; from then on the time is holots'.
  "holots' share of the first frame (browser's first encoded frame -> picture in the graph) <= 100 ms (all runs)": throughput.every((r) => Number(r.holotsFirstFrameMs) <= 100),
};
console.log('\nGoals:', JSON.stringify(goals, null, 1));
console.log(`\nbench took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
writeResults('webrtc', { measureMs: MEASURE_MS, throughput, latency, baseline, goals });
// The summary bench/all.ts pastes into docs/benchmarks.md (<!-- bench:webrtc -->).
const goalList = Object.entries(goals).map(([g, met]) => `- **${met ? 'met' : 'MISSED'}** ${g}`).join('\n');
writeMarkdown('webrtc', [
  `Throughput, Chromium fake camera at 30 fps, ${MEASURE_MS / 1000} s per row (decode ms = the decoder's own time per frame; CPU % of one core for the whole receiving process; firstFrameMs: offer to the first picture in the sink, split into senderFirstFrameMs, offer to the browser encoder's first frame as its getStats reports it (polled every 5 ms, so up to ~5 ms late), and holotsFirstFrameMs, the rest; connectedMs: offer to the page's peer connection connected (ICE and DTLS, both sides' work), firstEncodeMs: the encoder's own time on its first frame (getStats' totalEncodeTime then)):`,
  '',
  table(throughput.filter((r) => r.codec === 'VP8' || r.codec === 'H264' || String(r.size) === '1920x1080'), ['codec', 'size', 'fps', 'decodeMsMean', 'decodeMsP95', 'cpuPct', 'firstFrameMs', 'connectedMs', 'senderFirstFrameMs', 'firstEncodeMs', 'holotsFirstFrameMs', 'framesDropped']),
  '',
  'Glass-to-glass latency at 720p, canvas time code (page Date.now() to decoded frame in the sink), ms:',
  '',
  table(latency, ['codec', 'fps', 'latencyP50', 'latencyP95', 'timecodeFrames', 'damaged']),
  '',
  'Baseline in the same run, 1080p: rgba output (CPU colour conversion) against the default yuv420p planes:',
  '',
  table(baseline, ['codec', 'output', 'fps', 'decodeMsMean', 'cpuPct']),
  '',
  'Goals:',
  '',
  goalList,
].join('\n'));
