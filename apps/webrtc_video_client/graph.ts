import { fileURLToPath } from 'node:url';
import { Application, type LogLevel } from '../../framework/index.ts';
import { HolovizOp, VideoStreamRecorderOp, WebRTCClientOp, WebRTCServerOp, WebServerOp } from '../../operators/index.ts';

export interface ClientOptions {
  host: string;
  port: number;
  certFile?: string;
  keyFile?: string;
  /** Record each session's video to this directory (no re-encoding); off when absent. */
  record?: string;
  /** Send what HolovizOp drew back to the page over WebRTC (WHEP); works headless. */
  view?: boolean;
  logLevel?: LogLevel;
}

/** The browser page, beside this file. */
const PAGE = fileURLToPath(new URL('./client', import.meta.url));

/** The graph of app.yaml, built in TypeScript: the same operators, params and flows. */
export function buildWebrtcVideoClient(o: ClientOptions): Application {
  const app = new Application('webrtc_video_client', { logLevel: o.logLevel ?? 'info' });
  const webServer = app.add('web_server', WebServerOp, { params: { host: o.host, port: o.port, static_dir: PAGE, cert_file: o.certFile, key_file: o.keyFile } });
  const webrtcClient = app.add('webrtc_client', WebRTCClientOp, { params: { status_line: true } });
  const holoviz = app.add('holoviz', HolovizOp, {
    params: {
      window_title: 'WebRTC Client', width: 1280, height: 720, headless: 'auto', tensors: [{ name: 'video', type: 'color' }],
      ...(o.view !== undefined ? { enable_render_buffer_output: o.view } : {}),
    },
  });
  const recorder = app.add('recorder', VideoStreamRecorderOp, { params: { directory: o.record ?? '' } });
  const webrtcServer = app.add('webrtc_server', WebRTCServerOp, { params: { codec: 'H264' } });
  app.addFlow(webServer, webrtcClient, [['signaling', 'signaling']]);
  app.addFlow(webrtcClient, holoviz, [['output', 'receivers']]);
  app.addFlow(webrtcClient, recorder, [['encoded', 'encoded']]);
  app.addFlow(webServer, webrtcServer, [['playback', 'signaling']]);
  app.addFlow(holoviz, webrtcServer, [['render_buffer_output', 'input']]);
  return app;
}
