/**
 * HolovizOp rendering benchmark (issue 4): what does showing one frame cost?
 *
 * Per frame: upload the frame's planes, draw the image layer, show it (the window blits and swaps;
 * headless has nothing to show) and glFinish, so the time includes the GPU (here llvmpipe) work and
 * not just queuing it. Two fresh frames alternate so every upload is a real one.
 *
 * For yuv420p the GPU path (three R8 textures, YUV -> RGB in the fragment shader) runs beside the CPU
 * path it replaces, in the same process and interleaved repeat by repeat: an integer fixed-point JS
 * conversion to RGBA (operators/video/frame-to-rgb.ts, into a reused buffer) plus an RGBA upload.
 *
 * Runs headless (EGL, no X) and in a GLFW window under Xvfb (started here, killed at the end).
 * Usage: node --import tsx bench/holoviz.bench.ts [--markdown] [--frames N] [--headless-only]
 * (--headless-only skips the window, for machines with no Xvfb, e.g. a GPU server using EGL's device platform)
 * Raw results go to bench/results/holoviz.json.
 */
import { performance } from 'node:perf_hooks';
import { EglHeadlessProvider } from '../operators/holoviz/context/egl-headless.ts';
import type { ContextProvider } from '../operators/holoviz/context/context-provider.ts';
import { Renderer } from '../operators/holoviz/renderer/renderer.ts';
import type { VideoFrame } from '../operators/messages/index.ts';
import { frameToRgba, renderTestPattern, TestPatternParams } from '../operators/video/index.ts';
import { describeMachine, formatMarkdownTable, formatTable, summarize, writeMarkdown, writeResults, type Summary } from './lib/index.ts';

const argv = process.argv.slice(2);
const FRAMES = Number(argv[argv.indexOf('--frames') + 1]) || 40; // measured per repeat
const REPEATS = 3;
const WARMUP = 5;
const SIZES = [{ name: '720p', w: 1280, h: 720 }, { name: '1080p', w: 1920, h: 1080 }];
const GOAL_1080P_YUV_MS = 4;
const GOAL_SHADER_OVER_CPU = 1.5;

type Path = 'rgba' | 'yuv420p (shader)' | 'yuv420p (CPU convert + rgba)';

interface Row { mode: string; size: string; path: Path; ms: Summary }

function frames(format: 'rgba' | 'yuv420p', w: number, h: number): VideoFrame[] {
  const p = TestPatternParams.parse({ width: w, height: h, format, pattern: 'moving_box' });
  return [renderTestPattern(p, 0), renderTestPattern(p, 7)];
}

/** Times `FRAMES` frames of one path, ms per frame. */
function timePath(provider: ContextProvider, r: Renderer, path: Path, src: VideoFrame[], rgbaOut: VideoFrame): Float64Array {
  const gl = provider.gl;
  const t = new Float64Array(FRAMES);
  for (let i = -WARMUP; i < FRAMES; i++) {
    const f = src[(i + WARMUP) & 1];
    const t0 = performance.now();
    if (path === 'yuv420p (CPU convert + rgba)') {
      frameToRgba(f, rgbaOut.planes[0].data);
      r.setImage('video', rgbaOut);
    } else {
      r.setImage('video', f);
    }
    r.render();
    provider.present(r.framebuffer, r.width, r.height);
    gl.glFinish();
    if (i >= 0) t[i] = performance.now() - t0;
  }
  return t;
}

function runMode(mode: string, provider: ContextProvider): Row[] {
  const rows: Row[] = [];
  for (const s of SIZES) {
    const r = new Renderer(provider.gl, s.w, s.h);
    const rgba = frames('rgba', s.w, s.h);
    const yuv = frames('yuv420p', s.w, s.h);
    const rgbaOut: VideoFrame = { width: s.w, height: s.h, format: 'rgba', timestamp: 0, planes: [{ data: new Uint8Array(s.w * s.h * 4), stride: s.w * 4 }] };
    const samples: Record<Path, number[]> = { 'rgba': [], 'yuv420p (shader)': [], 'yuv420p (CPU convert + rgba)': [] };
    for (let rep = 0; rep < REPEATS; rep++) {
      samples['rgba'].push(...timePath(provider, r, 'rgba', rgba, rgbaOut));
      samples['yuv420p (shader)'].push(...timePath(provider, r, 'yuv420p (shader)', yuv, rgbaOut));
      samples['yuv420p (CPU convert + rgba)'].push(...timePath(provider, r, 'yuv420p (CPU convert + rgba)', yuv, rgbaOut));
    }
    for (const path of Object.keys(samples) as Path[]) rows.push({ mode, size: s.name, path, ms: summarize(samples[path]) });
    r.destroy();
    console.error(`  ${mode} ${s.name} done`);
  }
  return rows;
}

async function main(): Promise<void> {
  console.log(`HolovizOp render benchmark — ${describeMachine()}`);
  const rows: Row[] = [];
  let renderer = '';

  const savedDisplay = process.env.DISPLAY;
  delete process.env.DISPLAY;
  const headless = new EglHeadlessProvider();
  renderer = headless.description;
  console.log(`headless: ${headless.description}`);
  rows.push(...runMode('headless', headless));
  headless.destroy();

  if (!argv.includes('--headless-only')) rows.push(...(await windowRows(savedDisplay)));

  const f = (x: number) => x.toFixed(2);
  const head = ['mode', 'size', 'path', 'median ms', 'p90 ms', 'fps (median)', 'CPU path / shader'];
  const table = rows.map((row) => {
    let ratio = '';
    if (row.path !== 'rgba') {
      const shader = rows.find((o) => o.mode === row.mode && o.size === row.size && o.path === 'yuv420p (shader)')!;
      const cpu = rows.find((o) => o.mode === row.mode && o.size === row.size && o.path === 'yuv420p (CPU convert + rgba)')!;
      ratio = row.path === 'yuv420p (shader)' ? `${(cpu.ms.median / shader.ms.median).toFixed(2)}x` : '1.00x (baseline)';
    }
    return [row.mode, row.size, row.path, f(row.ms.median), f(row.ms.p90), (1000 / row.ms.median).toFixed(0), ratio];
  });
  console.log('');
  console.log(formatTable(head, table));

  const h1080 = rows.find((r) => r.mode === 'headless' && r.size === '1080p' && r.path === 'yuv420p (shader)')!;
  const c1080 = rows.find((r) => r.mode === 'headless' && r.size === '1080p' && r.path === 'yuv420p (CPU convert + rgba)')!;
  const speedup = c1080.ms.median / h1080.ms.median;
  const goals = [
    { goal: `1080p yuv420p headless <= ${GOAL_1080P_YUV_MS} ms/frame`, value: `${f(h1080.ms.median)} ms`, met: h1080.ms.median <= GOAL_1080P_YUV_MS },
    { goal: `1080p yuv420p shader >= ${GOAL_SHADER_OVER_CPU}x the CPU path (headless)`, value: `${speedup.toFixed(2)}x`, met: speedup >= GOAL_SHADER_OVER_CPU },
  ];
  console.log('');
  for (const g of goals) console.log(`${g.met ? 'MET   ' : 'MISSED'} ${g.goal}: ${g.value}`);
  if (argv.includes('--markdown')) {
    console.log('');
    console.log(formatMarkdownTable(head, table));
  }
  const file = writeResults('holoviz', { renderer, frames: FRAMES * REPEATS, rows, goals });
  // The block bench/all.ts pastes into docs/benchmarks.md (<!-- bench:holoviz -->).
  writeMarkdown('holoviz', [
    `Renderer: ${renderer}. ms per frame (upload, draw, show, glFinish), ${FRAMES * REPEATS} frames per row:`,
    '',
    formatMarkdownTable(head, table),
    '',
    'Goals:',
    '',
    ...goals.map((g) => `- **${g.met ? 'met' : 'MISSED'}** ${g.goal}: ${g.value}`),
  ].join('\n'));
  console.log(`\nresults: ${file}`);
}

/** The same measurements in a GLFW window under Xvfb (started here); loaded lazily so a headless-only run needs no GLFW. */
async function windowRows(savedDisplay: string | undefined): Promise<Row[]> {
  const { GlfwWindowProvider } = await import('../operators/holoviz/context/glfw-window.ts');
  const { startXvfb } = await import('../testkit/xvfb.ts');
  const xvfb = await startXvfb();
  try {
    process.env.DISPLAY = xvfb.display;
    const win = new GlfwWindowProvider({ title: 'holots bench', width: 1280, height: 720 });
    console.log(`window: ${win.description} (Xvfb ${xvfb.display}, 1280x720 window)`);
    try {
      return runMode('window (Xvfb)', win);
    } finally {
      win.destroy();
    }
  } finally {
    await xvfb.stop();
    if (savedDisplay) process.env.DISPLAY = savedDisplay; else delete process.env.DISPLAY;
  }
}

await main();
