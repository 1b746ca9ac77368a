/**
 * Soak: one real Chromium publisher (fake camera, 1280x720 at 30 fps, VP8, the app's own page) into the
 * webrtc_video_client graph without the window (WebServerOp -> WebRTCClientOp -> a sink that reads every
 * picture) for N minutes. Memory is sampled after a full collection every few seconds; the baseline is
 * the start of the run after a warm-up, measured in the same run.
 * Goals: RSS growth < 10 %, 0 decode errors, 0 lost sessions.
 *
 * Run: node --import tsx bench/soak.bench.ts [--minutes N]   (default 10; `node --import tsx bench/all.ts soak`)
 * Writes bench/results/soak.json (every sample) and bench/results/soak.md (docs/benchmarks.md, Soak).
 */
import { median } from './lib/stats.ts';
import { formatMarkdownTable, formatTable } from './lib/table.ts';
import { describeMachine } from './lib/machine.ts';
import { writeMarkdown, writeResults } from './lib/results.ts';
import { launchChromium, startStreaming } from '../testkit/chromium.ts';
import { waitFor } from '../testkit/wait.ts';
import { collectGarbage, sessions, startApp } from '../testkit/seed-graph.ts';

const arg = process.argv.indexOf('--minutes');
const MINUTES = arg > 0 ? Number(process.argv[arg + 1]) : 10;
if (!(MINUTES > 0)) throw new Error(`--minutes takes a positive number, got '${process.argv[arg + 1]}'`);
const DURATION_MS = MINUTES * 60_000;
const SAMPLE_MS = 5000;
const WARMUP_MS = Math.min(30_000, DURATION_MS * 0.2);
/** Baseline and end: the median of the samples in the first and last tenth of the measured time (at least 3). */
const WINDOW = 0.1;
const GOAL_RSS_GROWTH = 10;

interface Sample {
  s: number; rssMiB: number; heapMiB: number; externalMiB: number; sessions: number; pageState: string;
  framesDecoded: number; sinkFrames: number; fps: number; decodeErrors: number; framesDropped: number;
  lostPackets: number; plisSent: number; cpuPct: number;
}

const h = await startApp({}, {});
const browser = await launchChromium();
const samples: Sample[] = [];
let sessionId = '';
try {
  const page = await browser.context.newPage();
  await startStreaming(page, `${h.base}/`, '1280x720', 'VP8/90000');
  const first = await waitFor('a 720p session decoding', async () => (await sessions(h.base)).find((s) => s.framesDecoded > 0 && s.width === 1280), 20_000);
  sessionId = first.id;
  console.log(`soak: ${MINUTES} min of 1280x720 VP8 from Chromium, session ${sessionId}; warm-up ${WARMUP_MS / 1000} s, a sample every ${SAMPLE_MS / 1000} s`);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const t0 = performance.now();
  let cpu = process.cpuUsage();
  let last = t0;
  while (performance.now() - t0 < DURATION_MS - WARMUP_MS) {
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    collectGarbage();
    const mem = process.memoryUsage();
    const list = await sessions(h.base);
    const s = list.find((x) => x.id === sessionId);
    const sample: Sample = {
      s: Math.round((now - t0) / 1000), rssMiB: mem.rss / 2 ** 20, heapMiB: mem.heapUsed / 2 ** 20, externalMiB: mem.external / 2 ** 20,
      sessions: list.length, pageState: await page.evaluate(() => document.body.dataset.state ?? ''),
      framesDecoded: s?.framesDecoded ?? 0, sinkFrames: h.frames.total(), fps: s?.fps ?? 0,
      decodeErrors: Number(s?.decodeErrors ?? 0), framesDropped: s?.framesDropped ?? 0,
      lostPackets: Number(s?.lostPackets ?? 0), plisSent: Number(s?.plisSent ?? 0),
      cpuPct: ((used.user + used.system) / 1000 / (now - last)) * 100,
    };
    last = now;
    samples.push(sample);
    if (sample.s % 60 < SAMPLE_MS / 1000) console.log(`  ${sample.s} s: RSS ${sample.rssMiB.toFixed(1)} MiB, heap ${sample.heapMiB.toFixed(1)} MiB, ${sample.fps} fps, ${sample.framesDecoded} frames, ${sample.decodeErrors} decode errors`);
    if (!s) break; // the session is gone: counted below
  }
} finally {
  await browser.close();
  await h.stop();
}

const n = Math.max(3, Math.round(samples.length * WINDOW));
const startRss = median(samples.slice(0, n).map((x) => x.rssMiB));
const endRss = median(samples.slice(-n).map((x) => x.rssMiB));
const growth = ((endRss - startRss) / startRss) * 100;
const end = samples[samples.length - 1];
const begin = samples[0];
const measuredS = end.s - begin.s + SAMPLE_MS / 1000;
const lostSessions = h.logs.filter((l) => /session \S+ closed: (?!application stopping)/.test(l)).length + (end.sessions === 1 ? 0 : 1);
const steadyFps = (end.framesDecoded - begin.framesDecoded) / (end.s - begin.s);
const result = {
  minutes: MINUTES, codec: 'VP8', size: '1280x720', sessionId, samples: samples.length, measuredS,
  rss: { startMiB: startRss, endMiB: endRss, maxMiB: Math.max(...samples.map((x) => x.rssMiB)), growthPct: growth },
  heap: { startMiB: median(samples.slice(0, n).map((x) => x.heapMiB)), endMiB: median(samples.slice(-n).map((x) => x.heapMiB)) },
  framesDecoded: end.framesDecoded, sinkFrames: end.sinkFrames, steadyFps, decodeErrors: end.decodeErrors,
  framesDropped: end.framesDropped, lostPackets: end.lostPackets, plisSent: end.plisSent, lostSessions,
  cpuPctMean: samples.reduce((a, x) => a + x.cpuPct, 0) / samples.length,
  goals: { rssGrowthBelowPct: GOAL_RSS_GROWTH, decodeErrors: 0, lostSessions: 0 },
  met: growth < GOAL_RSS_GROWTH && end.decodeErrors === 0 && lostSessions === 0,
  series: samples,
};
writeResults('soak', result);

const mib = (x: number) => `${x.toFixed(1)} MiB`;
const ok = (cond: boolean) => (cond ? 'met' : 'NOT met');
const head = ['figure', 'value', 'goal'];
const rows = [
  ['streamed', `${(measuredS / 60).toFixed(1)} min measured after ${WARMUP_MS / 1000} s warm-up, 1280x720 VP8, one session`, ''],
  ['frames decoded', `${end.framesDecoded} (${steadyFps.toFixed(1)} fps steady; ${end.sinkFrames} reached the sink)`, ''],
  ['RSS start -> end (max)', `${mib(startRss)} -> ${mib(endRss)} (${mib(result.rss.maxMiB)})`, ''],
  ['RSS growth', `${growth.toFixed(1)} %`, `< ${GOAL_RSS_GROWTH} %: ${ok(growth < GOAL_RSS_GROWTH)}`],
  ['JS heap start -> end', `${mib(result.heap.startMiB)} -> ${mib(result.heap.endMiB)}`, ''],
  ['decode errors', String(end.decodeErrors), `0: ${ok(end.decodeErrors === 0)}`],
  ['lost sessions', String(lostSessions), `0: ${ok(lostSessions === 0)}`],
  ['frames dropped / packets lost / PLIs', `${end.framesDropped} / ${end.lostPackets} / ${end.plisSent}`, ''],
  ['CPU of the receiving process', `${result.cpuPctMean.toFixed(1)} % of one core`, ''],
];
const perMinute = samples.filter((x, i) => i === 0 || x.s % 60 < SAMPLE_MS / 1000 || i === samples.length - 1);
const seriesHead = ['at', 'RSS', 'heap', 'fps', 'frames decoded'];
const seriesRows = perMinute.map((x) => [`${x.s} s`, mib(x.rssMiB), mib(x.heapMiB), String(x.fps), String(x.framesDecoded)]);
console.log(`\n${formatTable(head, rows)}\n\n${formatTable(seriesHead, seriesRows)}\n`);
writeMarkdown('soak', `Measured on ${describeMachine()}, ${new Date().toISOString().slice(0, 10)}, with \`node --import tsx bench/soak.bench.ts --minutes ${MINUTES}\`.\n\n${formatMarkdownTable(head, rows)}\n\nMemory after a full collection, once a minute:\n\n${formatMarkdownTable(seriesHead, seriesRows)}`);
console.log(result.met ? 'soak: all goals met' : 'soak: goals NOT met');
process.exitCode = result.met ? 0 : 1;
