/**
 * The webcam app's graph without the window (WebServerOp -> WebRTCClientOp -> a frame counter), started
 * in this process on a free port, with the helpers tests and the soak bench read it with.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { z } from 'zod';
import { Application, defineOperator, port } from '../framework/index.ts';
import { VideoFrame, type SessionStats } from '../operators/messages/index.ts';
import { WebRTCClientOp } from '../operators/webrtc/index.ts';
import { WebServerOp } from '../operators/web-server/index.ts';
import { PAGE_DIR } from './app-process.ts';
import { send } from './http.ts';
import { listeningLogger } from './listening-logger.ts';

/** Counts the pictures that reach the end of the graph, per session. */
export function makeFrameCounter() {
  const perSession = new Map<string, number>();
  const last = { width: 0, height: 0, at: 0 };
  const op = defineOperator({
    name: 'FrameCounter',
    params: z.object({}).strict(),
    inputs: { in: port(VideoFrame) },
    compute({ in: frame }, _emit, ctx) {
      const id = String((ctx.metadata as Record<string, unknown>).sessionId);
      perSession.set(id, (perSession.get(id) ?? 0) + 1);
      last.width = frame.width;
      last.height = frame.height;
      last.at = performance.now();
    },
  });
  return { op, perSession, last, total: () => [...perSession.values()].reduce((a, b) => a + b, 0) };
}

export interface RunningApp {
  app: Application;
  run: Promise<void>;
  base: string;
  logs: string[];
  frames: ReturnType<typeof makeFrameCounter>;
  /** Resolves (never rejects) once run() settles: 'ok' or the error's message. */
  ended: Promise<string>;
  stop(): Promise<void>;
}

/** The webrtc_video_client graph without the window: WebServerOp -> WebRTCClientOp -> a frame counter. */
export async function startApp(serverParams: Record<string, unknown> = {}, webrtcParams: Record<string, unknown> = {}): Promise<RunningApp> {
  const { logger, logs, port: listening } = listeningLogger('reliability');
  const app = new Application('reliability', { logger });
  const frames = makeFrameCounter();
  const server = app.add('web_server', WebServerOp, { params: { host: '127.0.0.1', port: 0, static_dir: PAGE_DIR, ...serverParams } as never });
  const client = app.add('webrtc_client', WebRTCClientOp, { params: webrtcParams as never });
  const sink = app.add('sink', frames.op);
  app.addFlow(server, client, [['signaling', 'signaling']]);
  app.addFlow(client, sink, [['output', 'in']]);
  const run = app.run();
  const ended = run.then(() => 'ok', (e: Error) => e.message);
  const portNo = await Promise.race([listening, ended.then((r) => { throw new Error(`app ended before listening (${r}):\n${logs.join('\n')}`); })]);
  return { app, run, base: `http://127.0.0.1:${portNo}`, logs, frames, ended, async stop() { app.stop(); await run; } };
}

export async function sessions(base: string): Promise<SessionStats[]> {
  const r = await send(base, 'GET', '/stats');
  if (r.status !== 200) throw new Error(`GET /stats: ${r.status} ${r.body}`);
  return r.json<{ sessions: SessionStats[] }>().sessions;
}

let gcFn: (() => void) | null = null;
/** A full garbage collection, without needing node --expose-gc on the test runner's command line. */
export function collectGarbage(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
}

/** RSS after two full collections (MiB), so garbage waiting for the collector does not count. */
export async function settledRssMiB(): Promise<number> {
  for (let i = 0; i < 2; i++) {
    collectGarbage();
    await new Promise((r) => setTimeout(r, 100));
  }
  return process.memoryUsage().rss / 2 ** 20;
}
