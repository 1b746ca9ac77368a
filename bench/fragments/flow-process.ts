/**
 * One side of the fragments bench, in its own process (bench/fragments.bench.ts starts them):
 *   flow-process.ts nats-send   W H URL       frames at 30 fps into a flow that crosses to another fragment
 *   flow-process.ts nats-recv   W H URL       the receiving fragment: latency of every frame
 *   flow-process.ts local       W H           source and sink in one process (the same graph, no NATS)
 *   flow-process.ts tcp-send    W H PORT      the same frames over a plain TCP socket (length-prefixed)
 *   flow-process.ts tcp-recv    W H PORT      its receiver
 *   flow-process.ts raw-send    W H URL       the same frames published with the NATS client alone (no framework,
 *   flow-process.ts raw-recv    W H URL       no credit): the floor of NATS itself, to tell its cost from ours
 *   flow-process.ts raw-send-chunked W H URL BYTES  the same, each frame as messages of at most BYTES (and
 *   flow-process.ts raw-recv-chunked W H URL        a 16-byte prefix), put back together: does chunking help?
 * Frames are new buffers each time (copied from 30 pre-rendered moving-box pictures). holots' decoder
 * now copies into a ring of its own instead; a source doing that here made the plain TCP socket's row
 * 4x slower (720p p50 1.9 -> 8.1 ms, 1080p 4.9 -> 19.3, runs back to back; cause not found), which
 * would flatter the NATS rows against it, so the source stays as it was. The sink measures latency on
 * the wall clock (same machine) from a `sentAt` stamp, records between "window start" and "window end"
 * (printed, so the harness reads /proc then) and prints one JSON line at the end.
 */
import { createConnection, createServer } from 'node:net';
import { connect } from '@nats-io/transport-node';
import { z } from 'zod';
import { Application, defineOperator, port, prepareFragments } from '../../framework/index.ts';
import { VideoFrame } from '../../operators/messages/index.ts';
import { renderTestPattern, TestPatternParams } from '../../operators/video/test-pattern.ts';

const [mode, w, h, where] = process.argv.slice(2);
const width = Number(w), height = Number(h);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 3000);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 10_000);
const wall = () => performance.timeOrigin + performance.now();

const pictures = Array.from({ length: 30 }, (_, i) => renderTestPattern(TestPatternParams.parse({ width, height, format: 'yuv420p', pattern: 'moving_box', speed: 12 }), i));
function nextFrame(i: number): VideoFrame {
  const src = pictures[i % pictures.length];
  return { ...src, timestamp: i * 33.3, planes: src.planes.map((p) => ({ data: p.data.slice(), stride: p.stride })) };
}

/** Records latencies inside the window; prints the summary and exits. */
class Window {
  private first = 0;
  samples: number[] = [];
  frames = 0;
  /** Frames the source made that never reached the sink (for any reason), inside the window. */
  missing = 0;
  private lastIndex = -1;
  private state: 'warmup' | 'open' | 'closed' = 'warmup';
  constructor(private readonly onClose: () => void) {}
  add(sentAt: number, index: number): void {
    const now = wall();
    const skipped = this.lastIndex >= 0 ? index - this.lastIndex - 1 : 0;
    this.lastIndex = index;
    if (!this.first) this.first = now;
    if (this.state === 'warmup' && now - this.first >= WARMUP_MS) { this.state = 'open'; console.log('window start'); setTimeout(() => this.close(), WINDOW_MS); }
    if (this.state === 'open') { this.samples.push(now - sentAt); this.frames++; this.missing += skipped; }
  }
  private close(): void {
    this.state = 'closed';
    console.log('window end');
    console.log(JSON.stringify({ frames: this.frames, missing: this.missing, windowMs: WINDOW_MS, latencies: this.samples }));
    this.onClose();
  }
}

const Source = defineOperator({
  name: 'BenchSource',
  params: z.object({}),
  outputs: { out: port(VideoFrame) },
  conditions: [{ type: 'periodic', period: '30Hz' }],
  initialize: () => ({ i: 0 }),
  compute(_in, emit, ctx) { const i = ctx.state.i++; emit.out(nextFrame(i), { sentAt: wall(), index: i }); },
});

function sinkOp(window: Window) {
  return defineOperator({
    name: 'BenchSink',
    params: z.object({}),
    inputs: { in: port(VideoFrame) },
    compute(_in, _emit, ctx) { window.add(ctx.metadata.sentAt as number, ctx.metadata.index as number); },
  });
}

function graph(window: Window): Application {
  const app = new Application('bench_fragments', { logLevel: 'warn' });
  const src = app.add('source', Source);
  const sink = app.add('sink', sinkOp(window));
  app.connect(src.name, 'out', sink.name, 'in', { capacity: 1, policy: 'pop' });
  return app;
}

const fragments = { send: ['source'], receive: ['sink'] };

/**
 * The baselines' frame: u32 length of the rest | u32 header length | JSON header | planes (the length
 * prefix is for the TCP stream; NATS frames messages itself and gets the rest).
 */
function frameMessage(i: number): Buffer {
  const f = nextFrame(i);
  const head = Buffer.from(JSON.stringify({ width: f.width, height: f.height, format: f.format, timestamp: f.timestamp, strides: f.planes.map((p) => p.stride), sizes: f.planes.map((p) => p.data.byteLength), sentAt: wall(), index: i }));
  const total = 8 + head.byteLength + f.planes.reduce((a, p) => a + p.data.byteLength, 0);
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32BE(total - 4, 0);
  out.writeUInt32BE(head.byteLength, 4);
  head.copy(out, 8);
  let at = 8 + head.byteLength;
  for (const p of f.planes) { out.set(p.data, at); at += p.data.byteLength; }
  return out;
}

/** Reads a baseline frame (without its length prefix) as a receiver would: header, then planes as views. */
function readFrameMessage(buf: Uint8Array): { sentAt: number; index: number } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headLength = view.getUint32(0);
  const header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 4, headLength).toString()) as { width: number; height: number; strides: number[]; sizes: number[]; sentAt: number; index: number };
  let at = 4 + headLength;
  const planes = header.sizes.map((n, k) => { const p = { data: new Uint8Array(buf.buffer, buf.byteOffset + at, n), stride: header.strides[k] }; at += n; return p; });
  if (planes.length !== 3 || planes[0].data.byteLength !== header.width * header.height || at !== buf.byteLength) throw new Error('bad frame');
  return header;
}

if (mode === 'raw-send') {
  const nc = await connect({ servers: [where] });
  console.log('ready');
  let i = 0;
  const timer = setInterval(() => nc.publish('bench.raw', frameMessage(i++).subarray(4)), 1000 / 30);
  process.on('SIGINT', () => { clearInterval(timer); void nc.drain().then(() => process.exit(0)); });
} else if (mode === 'raw-recv') {
  const nc = await connect({ servers: [where] });
  const window = new Window(() => process.exit(0));
  nc.subscribe('bench.raw', { callback: (err, m) => { if (!err) { const h = readFrameMessage(m.data); window.add(h.sentAt, h.index); } } });
  await nc.flush();
  console.log('ready');
} else if (mode === 'raw-send-chunked') {
  // The same frames as raw-send, each published as chunks of at most CHUNK bytes after a 16-byte prefix
  // (frame index, chunk number, chunk count, frame bytes), so the server forwards one chunk while the
  // next arrives and the client never gathers a large message. The chunks are laid out in one buffer
  // (prefix, slice, prefix, slice...) so the pixels are copied once, as raw-send copies them once.
  const chunk = Number(process.argv[6]);
  if (!(chunk > 0)) throw new Error('raw-send-chunked needs the chunk size in bytes');
  const nc = await connect({ servers: [where] });
  console.log('ready');
  let i = 0;
  const timer = setInterval(() => {
    const index = i++;
    const f = nextFrame(index);
    const head = Buffer.from(JSON.stringify({ width: f.width, height: f.height, format: f.format, timestamp: f.timestamp, strides: f.planes.map((p) => p.stride), sizes: f.planes.map((p) => p.data.byteLength), sentAt: wall(), index }));
    const lead = new Uint8Array(4 + head.byteLength);
    new DataView(lead.buffer).setUint32(0, head.byteLength);
    lead.set(head, 4);
    const pieces = [lead, ...f.planes.map((p) => p.data)];
    const size = pieces.reduce((a, p) => a + p.byteLength, 0);
    const count = Math.ceil(size / chunk);
    const out = new Uint8Array(size + 16 * count);
    const v = new DataView(out.buffer);
    let piece = 0, pieceAt = 0;
    for (let k = 0, at = 0; k < count; k++) {
      const n = Math.min(chunk, size - k * chunk);
      v.setUint32(at, index); v.setUint32(at + 4, k); v.setUint32(at + 8, count); v.setUint32(at + 12, size);
      let w = at + 16;
      while (w < at + 16 + n) {
        const take = Math.min(pieces[piece].byteLength - pieceAt, at + 16 + n - w);
        out.set(pieces[piece].subarray(pieceAt, pieceAt + take), w);
        w += take; pieceAt += take;
        if (pieceAt === pieces[piece].byteLength) { piece++; pieceAt = 0; }
      }
      nc.publish('bench.raw', out.subarray(at, at + 16 + n));
      at += 16 + n;
    }
  }, 1000 / 30);
  process.on('SIGINT', () => { clearInterval(timer); void nc.drain().then(() => process.exit(0)); });
} else if (mode === 'raw-recv-chunked') {
  // Each chunk is copied once into the frame's buffer (as a receiver would write it into the planes).
  const nc = await connect({ servers: [where] });
  const window = new Window(() => process.exit(0));
  let frame: Uint8Array | null = null, frameIndex = -1, next = 0, at = 0;
  nc.subscribe('bench.raw', {
    callback: (err, m) => {
      if (err) return;
      const v = new DataView(m.data.buffer, m.data.byteOffset, 16);
      const index = v.getUint32(0), k = v.getUint32(4), count = v.getUint32(8), size = v.getUint32(12);
      if (k === 0) { frame = new Uint8Array(size); frameIndex = index; next = 0; at = 0; }
      if (!frame || index !== frameIndex || k !== next) { frame = null; return; }
      frame.set(m.data.subarray(16), at);
      at += m.data.byteLength - 16;
      next++;
      if (next === count) { const h = readFrameMessage(frame); window.add(h.sentAt, h.index); frame = null; }
    },
  });
  await nc.flush();
  console.log('ready');
} else if (mode === 'local' || mode === 'nats-send' || mode === 'nats-recv') {
  let app: Application;
  const window = new Window(() => app.stop('window closed'));
  const whole = graph(window);
  let close = async () => {};
  if (mode === 'local') app = whole;
  else {
    const prepared = await prepareFragments(whole, { fragments, run: [mode === 'nats-send' ? 'send' : 'receive'], nats: { servers: [where] } });
    app = prepared.app;
    close = prepared.close;
  }
  process.on('SIGINT', () => app.stop('SIGINT'));
  console.log('ready');
  await app.run();
  const drops = app.drops();
  await close();
  if (mode === 'nats-send') console.log(JSON.stringify({ drops: drops['source.out -> nats__source_out__sink_in.in'] ?? 0 }));
  process.exit(0);
} else if (mode === 'tcp-send') {
  const socket = createConnection(Number(where), '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.setNoDelay(true);
  console.log('ready');
  let i = 0;
  const timer = setInterval(() => socket.write(frameMessage(i++)), 1000 / 30);
  socket.on('close', () => { clearInterval(timer); process.exit(0); });
  process.on('SIGINT', () => { clearInterval(timer); socket.end(); process.exit(0); });
} else if (mode === 'tcp-recv') {
  const window = new Window(() => process.exit(0));
  const server = createServer((socket) => {
    // Each frame is gathered into one buffer of its announced size (one copy, as the NATS client does).
    const prefix = Buffer.alloc(4);
    let prefixHave = 0;
    let frame: Buffer | null = null;
    let frameHave = 0;
    socket.on('data', (d: Buffer) => {
      let at = 0;
      while (at < d.byteLength) {
        if (!frame) {
          const n = Math.min(4 - prefixHave, d.byteLength - at);
          d.copy(prefix, prefixHave, at, at + n);
          prefixHave += n;
          at += n;
          if (prefixHave === 4) { frame = Buffer.allocUnsafe(prefix.readUInt32BE(0)); frameHave = 0; prefixHave = 0; }
          continue;
        }
        const n = Math.min(frame.byteLength - frameHave, d.byteLength - at);
        d.copy(frame, frameHave, at, at + n);
        frameHave += n;
        at += n;
        if (frameHave === frame.byteLength) { received(frame); frame = null; }
      }
    });
  });
  const received = (buf: Buffer) => { const h = readFrameMessage(buf); window.add(h.sentAt, h.index); };
  server.listen(Number(where), '127.0.0.1', () => console.log('ready'));
}
