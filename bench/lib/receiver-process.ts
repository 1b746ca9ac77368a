/**
 * A receiver under test as a child process with the small HTTP API of bench/seed/answerer.py and
 * bench/lib/receiver-api.ts (POST /offer, /close, /reset; GET /stats), so a bench driver measures
 * each stack the same way: its own process, its CPU from /proc, the driver's work never charged to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../../testkit/app-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Debian's python, with python3-aiortc / python3-av / python3-aiohttp (not a pyenv one). */
export const SEED_PYTHON = '/usr/bin/python3';

export interface ReceiverProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** http://127.0.0.1:PORT: POST /offer there takes the seed's {sdp, type}. */
  url: string;
  call<T>(path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** The seed's stack (aiortc + PyAV, the seed operator's recv() + to_rgb().to_ndarray()). */
export function startSeedReceiver(args: string[] = []): Promise<ReceiverProcess> {
  if (!existsSync(SEED_PYTHON)) throw new Error(`${SEED_PYTHON} is missing: the seed stack needs Debian's python3 with python3-aiortc, python3-av, python3-aiohttp`);
  return startReceiver('seed', SEED_PYTHON, [`${ROOT}bench/seed/answerer.py`, '--port', '0', ...args]);
}

/** holots' graph: WebRTCClientOp -> a clock-reading sink. */
export function startHolotsReceiver(args: string[] = []): Promise<ReceiverProcess> {
  return startReceiver('holots', process.execPath, ['--import', 'tsx', `${ROOT}bench/receivers/holots-receiver.ts`, '--port', '0', ...args]);
}

/** werift alone: holots' WebRTCSession dropping every packet before assembly (the transport floor). */
export function startWeriftAlone(args: string[] = []): Promise<ReceiverProcess> {
  return startReceiver('werift', process.execPath, ['--import', 'tsx', `${ROOT}bench/receivers/werift-alone.ts`, '--port', '0', ...args]);
}

async function startReceiver(name: string, command: string, args: string[]): Promise<ReceiverProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr = (stderr + String(d)).slice(-4000); });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${name} receiver did not start within 60 s: ${stderr}`)), 60_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the ${name} receiver exited (${code}): ${stderr}`)); });
    createInterface({ input: child.stdout! }).once('line', (line) => { clearTimeout(timer); resolve(JSON.parse(line).port); });
  });
  child.removeAllListeners('exit');
  child.on('exit', (code, signal) => { if (code && signal !== 'SIGTERM') console.error(`${name} receiver exited ${code}: ${stderr}`); });
  const url = `http://127.0.0.1:${port}`;
  return {
    name, pid: child.pid!, child, url,
    async call<T>(path: string, body?: unknown): Promise<T> {
      const res = await fetch(`${url}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${name} ${path}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    stop: () => stopChild(child, 'SIGTERM', 5000),
  };
}

/**
 * Adds x-google-min/start/max-bitrate to every video codec's fmtp in an answer, so both stacks' senders are
 * held to the same webcam-like rate (Chrome reads them from the answer; the receive path is untouched).
 */
export function withBitrateHints(sdp: string, kbps: { min: number; start: number; max: number }): string {
  const hints = `x-google-min-bitrate=${kbps.min};x-google-start-bitrate=${kbps.start};x-google-max-bitrate=${kbps.max}`;
  const lines = sdp.split('\r\n');
  const video = new Set<string>();
  for (const l of lines) { const m = /^a=rtpmap:(\d+) (VP8|VP9|H264|AV1)\//i.exec(l); if (m) video.add(m[1]); }
  const withFmtp = new Set(lines.map((l) => /^a=fmtp:(\d+) /.exec(l)?.[1]).filter((pt): pt is string => !!pt && video.has(pt)));
  const out: string[] = [];
  for (const l of lines) {
    const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(l);
    if (fmtp && video.has(fmtp[1])) {
      const own = fmtp[2].split(';').filter((p) => p && !p.trim().startsWith('x-google-'));
      out.push(`a=fmtp:${fmtp[1]} ${[...own, hints].join(';')}`);
    } else out.push(l);
    const rtpmap = /^a=rtpmap:(\d+) /.exec(l);
    if (rtpmap && video.has(rtpmap[1]) && !withFmtp.has(rtpmap[1])) out.push(`a=fmtp:${rtpmap[1]} ${hints}`);
  }
  return out.join('\r\n');
}
