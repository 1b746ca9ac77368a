import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { freePort, stopChild } from './app-process.ts';
import { onHost } from './netns.ts';

export const NATS_SERVER = '/usr/sbin/nats-server';

export interface NatsServerOptions {
  /** Bytes; the tests' and benches' 8 MB unless a test wants the 1 MiB default's refusal. */
  maxPayload?: number;
  user?: string;
  password?: string;
  /** Listen here (default 127.0.0.1), and run on this simulated host (testkit/netns.ts). */
  host?: string;
  netns?: string;
}

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly log: string;
  /** Stops it (SIGTERM) and starts it again on the same port and config. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A real nats-server on a free port (loopback unless `host` says otherwise), from a config file (max_payload 8 MB, write_deadline 2 s). */
export async function startNatsServer(o: NatsServerOptions = {}): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'holots-nats-'));
  const port = await freePort();
  const conf = join(dir, 'nats.conf');
  const auth = o.user ? `authorization { user: "${o.user}", password: "${o.password ?? ''}" }\n` : '';
  const host = o.host ?? '127.0.0.1';
  writeFileSync(conf, `listen: ${host}:${port}\nmax_payload: ${o.maxPayload ?? 8 * 1024 * 1024}\nwrite_deadline: "2s"\n${auth}`);
  let proc: ChildProcess;
  let log = '';
  const launch = async () => {
    const [file, ...argv] = onHost(o.netns, [NATS_SERVER, '-c', conf]);
    proc = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d) => { log += d; });
    proc.stderr!.on('data', (d) => { log += d; });
    const until = Date.now() + 10_000;
    while (!(await accepts(port, host))) {
      if (proc.exitCode !== null) throw new Error(`nats-server exited (${proc.exitCode}):\n${log}`);
      if (Date.now() > until) throw new Error(`nats-server did not listen on ${port}:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const halt = () => stopChild(proc, 'SIGTERM', 5000);
  await launch();
  return {
    url: `nats://${host}:${port}`,
    port,
    get pid() { return proc.pid!; },
    get log() { return log; },
    async restart(downMs = 500) {
      await halt();
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, host);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}
