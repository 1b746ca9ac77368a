/**
 * How sessions scale over ingest workers: the seed app split as it ships (web, ingest, viz fragments;
 * viz headless at 320x240 and at most 5 renders/s so it does not starve the workers on a small machine),
 * with 1 or 2 copies of the ingest fragment, and N WHIP publishers of a webcam-like 720p30 H264 stream
 * (bench/fragments/whip-publishers.ts, in a process of its own). Per row: frames decoded per second of
 * each stream (from /stats, over the window) and the CPU of each worker process from /proc.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { freePort, ROOT, runHolots, type AppProcess } from '../../testkit/app-process.ts';
import { processCpuMs } from '../lib/index.ts';

const APP = 'apps/webrtc_video_client/app.yaml';
const STARTUP_MS = 180_000;

export interface SessionsRow {
  workers: number;
  streams: number;
  /** Publishers whose connection was up when the window started. */
  connected: number;
  /** Publishers that started again with a new offer, not connected after 15 s. */
  retried: number;
  /** Frames the publishers sent per second and stream, over the window (their process may be starved too). */
  sentFps: number;
  /** Frames decoded per second, each stream, over the window. */
  fps: number[];
  /** Streams each worker held. */
  held: Record<string, number>;
  /** CPU of each worker over the window, in % of one core. */
  cpuPct: Record<string, number>;
  bitrateKbps: number;
  windowMs: number;
}

interface SessionStat { id: string; worker: string; framesDecoded: number; width: number | null; height: number | null }

export async function measureSessions(natsUrl: string, workers: number, streams: number, warmupMs: number, windowMs: number): Promise<SessionsRow> {
  const env = { ...process.env };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const fragment = (name: string, instance: string, ...extra: string[]) =>
    runHolots(['run', APP, '--fragment', name, '--nats', natsUrl, '--instance', instance, '--set', 'webrtc_client.status_line=false', ...extra], env);
  const procs: AppProcess[] = [];
  const publisher = { proc: null as ReturnType<typeof spawn> | null };
  try {
    const viz = fragment('viz', 'viz', '--set', 'holoviz.width=320', '--set', 'holoviz.height=240', '--set', 'holoviz.framerate=5');
    const ingest = Array.from({ length: workers }, (_, i) => fragment('ingest', `ingest-${i + 1}`));
    const web = fragment('web', 'web', '--host', '127.0.0.1', '--port', String(await freePort()));
    procs.push(viz, ...ingest, web);
    const [, url] = await web.waitForOutput(/open (http:\/\/127\.0\.0\.1:\d+\/)/, STARTUP_MS);
    for (let i = 0; i < workers; i++) await web.waitForOutput(new RegExp(`instance ingest-${i + 1} .*joined`), STARTUP_MS);
    await web.waitForOutput(/instance viz .*joined/, STARTUP_MS);
    for (const w of ingest) await w.waitForOutput(/flow webrtc_client\.output\.holoviz\.receivers: sending to viz/, STARTUP_MS);

    const pub = spawn(process.execPath, ['--import', 'tsx', 'bench/fragments/whip-publishers.ts', new URL('whip', url).href, String(streams)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    publisher.proc = pub;
    const lines = createInterface({ input: pub.stdout! });
    let bitrateKbps = 0;
    let connected = 0;
    let retried = 0;
    let sent = 0;
    await new Promise<void>((resolve, reject) => {
      pub.once('exit', (code) => reject(new Error(`the WHIP publishers exited (${code})`)));
      lines.on('line', (l) => {
        if (l.startsWith('{')) bitrateKbps = (JSON.parse(l) as { bitrateKbps: number }).bitrateKbps;
        if (l.startsWith('connected')) { connected = Number(l.split(' ')[1]); retried = Number(/\((\d+) retried\)/.exec(l)?.[1] ?? 0); resolve(); }
        if (l.startsWith('sent ')) sent = Number(l.slice(5));
      });
    });
    const stats = async (): Promise<SessionStat[]> => {
      const r = await fetch(new URL('stats', url));
      return ((await r.json()) as { sessions: SessionStat[] }).sessions;
    };
    await new Promise((r) => setTimeout(r, warmupMs));
    const pids = Object.fromEntries(ingest.map((w, i) => [`ingest-${i + 1}`, w.proc.pid!]));
    const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuMs(pid)]));
    const s0 = await stats();
    const sent0 = sent;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, windowMs));
    const s1 = await stats();
    const elapsed = performance.now() - t0;
    const sentFps = ((sent - sent0) / Math.max(1, connected) / elapsed) * 1000;
    const cpuPct = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, ((processCpuMs(pid) - cpu0[k]) / elapsed) * 100]));
    const before = new Map(s0.map((s) => [s.id, s.framesDecoded]));
    // A session that did not connect shows as a stream at 0 fps: the row says what it really had.
    const fps = s1.map((s) => ((s.framesDecoded - (before.get(s.id) ?? 0)) / elapsed) * 1000);
    const held: Record<string, number> = Object.fromEntries(Object.keys(pids).map((k) => [k, 0]));
    for (const s of s1) held[s.worker] = (held[s.worker] ?? 0) + 1;
    return { workers, streams, connected, retried, sentFps, fps, held, cpuPct, bitrateKbps, windowMs: elapsed };
  } finally {
    publisher.proc?.kill('SIGINT');
    await Promise.all(procs.map((p) => p.stop()));
  }
}
