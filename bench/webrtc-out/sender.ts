/**
 * The holots sender of bench/webrtc-out.bench.ts, in a process of its own so its CPU is its own:
 * a 30 fps source of moving content with a time code -> WebRTCServerOp, viewers over WHEP.
 *   node --import tsx bench/webrtc-out/sender.ts <H264|VP8> <width> <height>
 */
import { randomFillSync } from 'node:crypto';
import { z } from 'zod';
import { Application, defineOperator, port } from '../../framework/index.ts';
import { VideoFrame } from '../../operators/messages/index.ts';
import { WebRTCServerOp, WebServerOp } from '../../operators/index.ts';
import { drawTimeCode, renderTestPattern, TestPatternParams } from '../../operators/video/index.ts';
import { PAGE_DIR } from '../../testkit/app-process.ts';

const [codec, width, height] = [process.argv[2] as 'H264' | 'VP8', Number(process.argv[3]), Number(process.argv[4])];

/** A moving box over a band of fresh noise (a camera's grain: 1.5-4 Mbps like a webcam), the time code drawn last. */
const MovingSource = defineOperator({
  name: 'MovingSource',
  params: z.object({}).strict(),
  outputs: { out: port(VideoFrame) },
  initialize: () => ({ i: 0, p: TestPatternParams.parse({ width, height, format: 'yuv420p', pattern: 'moving_box', speed: 8, color: [128, 128, 128] }) }),
  compute(_in, emit, ctx) {
    const f = renderTestPattern(ctx.state.p, ctx.state.i++);
    const y = f.planes[0].data;
    randomFillSync(y, Math.floor(height * 0.85) * width, Math.floor(height * 0.1) * width);
    drawTimeCode(f, performance.timeOrigin + performance.now());
    emit.out(f);
  },
});

const app = new Application('bench-sender', { logLevel: 'info' });
const web = app.add('web_server', WebServerOp, { params: { host: '127.0.0.1', port: 0, static_dir: PAGE_DIR } });
const src = app.add('source', MovingSource, { conditions: [{ type: 'periodic', period: '30Hz' }] });
const srv = app.add('webrtc_server', WebRTCServerOp, { params: { codec, bitrate_kbps: 4000, max_viewers: 32 } });
app.addFlow(web, srv, [['playback', 'signaling']]);
app.addFlow(src, srv, [['out', 'input']]);
await app.run({ handleSignals: true });
