/**
 * The cheap webcam-like publishers (bench/senders/clip-sender.ts) as a child process a bench drives: JSON
 * commands on its stdin, one JSON reply a line. Its CPU is its own, never charged to a receiver under test.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ClipOptions {
  codec?: 'H264' | 'VP8';
  width?: number;
  height?: number;
  fps?: number;
  /** Frames in the clip (it loops); a multiple of fps x gopS keeps the keyframe spacing even across the loop. */
  frames?: number;
  kbps?: number;
  /** Seconds between the clip's keyframes. */
  gopS?: number;
}

/** What the clip really is, measured from the encoded frames. */
export interface ClipInfo {
  codec: string;
  width: number;
  height: number;
  fps: number;
  frames: number;
  keyframeEvery: number;
  keyframes: number;
  kbps: number;
  packetsPerFrame: number;
}

/** What bench/receivers/decode-floor.ts prints. */
export interface FloorResult { frames: number; pictures: number; errors: number; cpuMs: number; cpuMsPerFrame: number; width: number; height: number }

export interface SenderStats { streams: number; plis: number; framesSent: number; bytesSent: number; clip: ClipInfo }

export class ClipSenders {
  private constructor(private readonly child: ChildProcess, private readonly lines: Interface, readonly clip: ClipInfo) {}

  /** Starts the process and waits until it has encoded its clip. */
  static async start(o: ClipOptions = {}): Promise<ClipSenders> {
    const flags: [string, unknown][] = [['--codec', o.codec], ['--width', o.width], ['--height', o.height], ['--fps', o.fps], ['--frames', o.frames], ['--kbps', o.kbps], ['--gop-s', o.gopS]];
    const args = flags.filter(([, v]) => v !== undefined).flatMap(([k, v]) => [k, String(v)]);
    const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}bench/senders/clip-sender.ts`, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    // The encoder reports on stderr while the clip is encoded; kept only to explain a failure.
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr = (stderr + String(d)).slice(-4000); });
    const lines = createInterface({ input: child.stdout! });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`the sender exited (${code}) before it was ready: ${stderr}`)));
    });
    child.removeAllListeners('exit');
    return new ClipSenders(child, lines, JSON.parse(first).clip);
  }

  get pid(): number { return this.child.pid!; }

  ask<T>(cmd: Record<string, unknown>): Promise<T> {
    return new Promise((resolve, reject) => {
      this.lines.once('line', (line) => {
        const v = JSON.parse(line);
        if (v.error) reject(new Error(`sender: ${v.error}`)); else resolve(v as T);
      });
      this.child.stdin!.write(JSON.stringify(cmd) + '\n');
    });
  }

  /** Adds `count` streams publishing to a seed-style `/offer` URL; resolves with the receiver's session ids once connected. */
  async add(count: number, url: string): Promise<string[]> {
    return (await this.ask<{ added: string[] }>({ cmd: 'add', count, url })).added;
  }

  stats(): Promise<SenderStats> { return this.ask<SenderStats>({ cmd: 'stats' }); }

  /** Stops and closes every stream. */
  async closeAll(): Promise<number> { return (await this.ask<{ closed: number }>({ cmd: 'close' })).closed; }

  /** Writes the encoded clip in bench/receivers/decode-floor.ts's format. */
  async dump(path: string): Promise<number> { return (await this.ask<{ frames: number }>({ cmd: 'dump', path })).frames; }

  /**
   * The decode-only floor: bench/receivers/decode-floor.ts decoding this sender's own clip from memory,
   * `loops` times over, in a process of its own.
   */
  async decodeFloor(loops: number): Promise<FloorResult> {
    const dir = mkdtempSync(join(tmpdir(), 'holots-floor-'));
    const file = join(dir, 'clip.bin');
    try {
      await this.dump(file);
      const out = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['--import', 'tsx', `${ROOT}bench/receivers/decode-floor.ts`, file, '--loops', String(loops)], { cwd: ROOT, maxBuffer: 1 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`decode-floor: ${err.message} ${stderr}`)) : resolve(stdout)));
      });
      return JSON.parse(out.trim().split('\n').at(-1)!) as FloorResult;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Ends its stdin (it closes its streams and exits), and kills it if it has not gone within 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
