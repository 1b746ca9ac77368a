import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { onHost } from './netns.ts';
import { HOLOTS_NODE_FLAGS } from '../bin/node-flags.js';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** The webrtc_video_client app's browser page, for graphs that tests build in code (the app sets static_dir itself). */
export const PAGE_DIR = fileURLToPath(new URL('../apps/webrtc_video_client/client', import.meta.url));

/**
 * Asks a child process to stop with `signal`, kills it after `graceMs`, and resolves once it has exited
 * (at once if it already has, by code or by signal).
 */
export async function stopChild(proc: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A free TCP port on loopback (bound and released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** True when something accepts connections on the port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(true));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

export interface AppProcess {
  proc: ChildProcess;
  /** Everything the process wrote to stderr so far (logs, status lines). */
  readonly stderr: string;
  readonly stdout: string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** SIGINT, then SIGKILL after a grace period; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** `holots <args>` as a user runs it (with the command's Node flags, as its shebang gives them), from the repository root; with `netns`, on that simulated host (testkit/netns.ts). */
export function runHolots(args: string[], env: NodeJS.ProcessEnv = process.env, opts: { netns?: string } = {}): AppProcess {
  const [file, ...argv] = onHost(opts.netns, [process.execPath, ...HOLOTS_NODE_FLAGS, 'bin/holots.js', ...args]);
  const proc = spawn(file, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  const waiters = new Set<() => void>();
  proc.stderr!.on('data', (d) => { stderr += d; for (const w of waiters) w(); });
  proc.stdout!.on('data', (d) => { stdout += d; for (const w of waiters) w(); });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => { for (const w of waiters) w(); r(code); }));
  return {
    proc,
    get stderr() { return stderr; },
    get stdout() { return stdout; },
    exited,
    waitForOutput(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = (stderr + stdout).match(pattern);
          if (m) { done(); resolve(m); } else if (proc.exitCode !== null) { done(); reject(new Error(`holots exited (${proc.exitCode}) before printing ${pattern}:\n${stderr}`)); }
        };
        const timer = setTimeout(() => { done(); reject(new Error(`timed out waiting for ${pattern}; stderr so far:\n${stderr}`)); }, timeoutMs);
        const done = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 10_000) {
      await stopChild(proc, 'SIGINT', graceMs);
      return exited;
    },
  };
}
