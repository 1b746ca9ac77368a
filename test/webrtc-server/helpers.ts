import type { Page } from 'playwright-core';
import { Application } from '../../framework/index.ts';
import { TestPatternOp, WebRTCServerOp, WebServerOp } from '../../operators/index.ts';
import { PAGE_DIR } from '../../testkit/app-process.ts';
import { listeningLogger } from '../../testkit/listening-logger.ts';
import { waitPageState } from '../../testkit/chromium.ts';
import { waitFor } from '../../testkit/wait.ts';

export interface ServerApp {
  app: Application;
  base: string;
  logs: string[];
  running: Promise<void>;
  stop(): Promise<void>;
  /** GET /whep: the stream (encoder counts) and each viewer. */
  playback(): Promise<{ stream: Record<string, number | string>; viewers: { id: string; state: string; rembBps: number; packetsSent: number; keyframeRequests: Record<string, number> }[] }>;
}

/** webrtc_video_server's graph on loopback with a port of its own: a grey test pattern with a time code. */
export async function startServerApp(o: { codec: 'H264' | 'VP8'; width?: number; height?: number; format?: 'yuv420p' | 'nv12' | 'rgba'; server?: Record<string, unknown> }): Promise<ServerApp> {
  const { logger, logs, port } = listeningLogger('whep');
  const app = new Application('whep-test', { logger });
  const web = app.add('web_server', WebServerOp, { params: { host: '127.0.0.1', port: 0, static_dir: PAGE_DIR } });
  const source = app.add('source', TestPatternOp, {
    params: { width: o.width ?? 640, height: o.height ?? 360, format: o.format ?? 'yuv420p', pattern: 'solid', color: [128, 128, 128], time_code: true },
    conditions: [{ type: 'periodic', period: '30Hz' }],
  });
  const server = app.add('webrtc_server', WebRTCServerOp, { params: { codec: o.codec, disconnect_grace_ms: 500, ...o.server } });
  app.addFlow(web, server, [['playback', 'signaling']]);
  app.addFlow(source, server, [['out', 'input']]);
  const running = app.run();
  const p = await Promise.race([port, running.then(() => { throw new Error(`the app ended before listening:\n${logs.join('\n')}`); })]);
  const base = `http://127.0.0.1:${p}/`;
  return {
    app, base, logs, running,
    async stop() { app.stop(); await running; },
    async playback() { return (await fetch(`${base}whep`)).json(); },
  };
}

/** Opens the viewer page, presses Start and waits until it has read `codes` time codes from presented frames. */
export async function watch(page: Page, base: string, codes = 15): Promise<void> {
  await page.goto(`${base}viewer.html`);
  await waitPageState(page, 'idle');
  await page.click('#start');
  await waitFor('the viewer to read time codes', () => page.evaluate((n) => (window as unknown as { viewer: { codes: number; error: string | null } }).viewer.codes >= n || (window as unknown as { viewer: { error: string | null } }).viewer.error, codes), 30_000);
  const error = await page.evaluate(() => (window as unknown as { viewer: { error: string | null } }).viewer.error);
  if (error) throw new Error(`the viewer page failed: ${error}`);
}

export interface PageViewer { frames: number; codes: number; latencies: number[]; receiveLatencies: (number | null)[]; lastCode: number | null; error: string | null; answer: string | null }

export function viewerState(page: Page): Promise<PageViewer> {
  return page.evaluate(() => (window as unknown as { viewer: PageViewer }).viewer);
}
