import { z } from 'zod';
import { Any, defineMessage, defineOperator, pathParam, port, type Emitters, type Metadata, type OperatorContext } from '../../framework/index.ts';
import { allocateFrame, VideoFrame } from '../messages/index.ts';
import type { ContextProvider, KeyEvent } from './context/context-provider.ts';
import { createContextProvider } from './context/choose-provider.ts';
import { classifyInput, LayerSpec } from './layers.ts';
import { Renderer } from './renderer/renderer.ts';

export const KeyEventSchema = z.object({
  key: z.number().int(),
  scancode: z.number().int(),
  action: z.enum(['press', 'release', 'repeat']),
  mods: z.number().int(),
});
export const KeyEventMessage = defineMessage<KeyEvent>('KeyEvent', KeyEventSchema, 'a key pressed or released in the Holoviz window (GLFW key codes)');

export const HolovizParams = z.object({
  window_title: z.string().default('Holoviz'),
  width: z.number().int().min(1).max(16384).default(1920).describe('render width in pixels (the window letterboxes it)'),
  height: z.number().int().min(1).max(16384).default(1080).describe('render height in pixels'),
  framerate: z.number().nonnegative().default(0).describe('at most this many renders per second; 0: render on every compute'),
  fullscreen: z.boolean().default(false),
  vsync: z.boolean().default(false).describe('wait for the display refresh on swap (blocks the Node thread meanwhile)'),
  resizable: z.boolean().default(true),
  headless: z.union([z.literal('auto'), z.boolean()]).default('auto').describe("'auto': headless EGL when there is no DISPLAY / WAYLAND_DISPLAY"),
  headless_platform: z.enum(['auto', 'device', 'surfaceless']).default('auto').describe('EGL platform for headless rendering'),
  enable_render_buffer_output: z.boolean().default(false).describe('emit every rendered picture on render_buffer_output (RGBA)'),
  font: pathParam().optional().describe('TrueType font for text layers (default DejaVu Sans)'),
  tensors: z.array(LayerSpec).default([]).describe('layer specs, as Holoviz input specs'),
}).strict().superRefine((p, ctx) => {
  const seen = new Set<string>();
  p.tensors.forEach((t, i) => {
    if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tensors', i, 'name'], message: `layer name '${t.name}' is used twice` });
    seen.add(t.name);
    if (t.type === 'color' && t.data) ctx.addIssue({ code: 'custom', path: ['tensors', i, 'data'], message: 'an image (color) layer takes frames, not data' });
  });
});
export type HolovizParams = z.output<typeof HolovizParams>;

/** How often window events are polled while no frame arrives (keeps the window responsive). */
const EVENT_POLL_MS = 16;

interface HolovizState {
  provider: ContextProvider | null;
  renderer: Renderer | null;
  keys: KeyEvent[];
  emit: Emitters<{ render_buffer_output: ReturnType<typeof port<VideoFrame>>; key_events: ReturnType<typeof port<KeyEvent>> }> | null;
  timer: NodeJS.Timeout | null;
  lastRender: number;
  lastCompute: number;
  renderPending: boolean;
  /** The metadata of the compute whose layers a deferred render shows. */
  pendingMeta: Metadata;
  closing: boolean;
}

/**
 * Shows frames and overlays, like Holoscan's HolovizOp: image layers from VideoFrames and geometry
 * layers (points, lines, rectangles, ovals, crosses, text...) drawn with OpenGL, in a GLFW window or
 * headless through EGL. GL runs on Node's main thread, which owns the context.
 */
export const HolovizOp = defineOperator({
  name: 'HolovizOp',
  description: 'renders frames and geometry layers with OpenGL in a window or headless (EGL)',
  mainThreadOnly: 'its OpenGL context and window belong to the thread that created them (GLFW needs the main thread)',
  params: HolovizParams,
  inputs: {
    receivers: port(Any, {
      multi: true,
      description: 'VideoFrame (first color layer), { layer, frame } (named image layer) or GeometryMessage { layer, type?, data, ... }',
    }),
  },
  outputs: {
    render_buffer_output: port(VideoFrame, { condition: 'none', description: 'the rendered picture, RGBA (enable_render_buffer_output)' }),
    key_events: port(KeyEventMessage, { condition: 'none', description: 'keys pressed in the window' }),
  },
  initialize: (): HolovizState => ({
    provider: null, renderer: null, keys: [], emit: null, timer: null, lastRender: -Infinity, lastCompute: 0, renderPending: false, pendingMeta: {}, closing: false,
  }),

  start(ctx, emit) {
    const p = ctx.params;
    const s = ctx.state;
    s.emit = emit;
    s.provider = createContextProvider({
      headless: p.headless, headlessPlatform: p.headless_platform, title: p.window_title, width: p.width, height: p.height,
      fullscreen: p.fullscreen, vsync: p.vsync, resizable: p.resizable,
      onKey: (e) => s.keys.push(e),
      log: (m) => ctx.log.info(m),
    });
    ctx.log.info(`rendering with ${s.provider.description}`);
    s.renderer = new Renderer(s.provider.gl, p.width, p.height, p.font);
    for (const spec of p.tensors) s.renderer.defineLayer(spec);
    // Between frames the window still needs its events pumped: closing, Esc and keys must work on an idle graph.
    s.timer = setInterval(() => idle(ctx), EVENT_POLL_MS);
    s.timer.unref();
  },

  compute({ receivers }, emit, ctx) {
    const s = ctx.state;
    const r = s.renderer!;
    s.lastCompute = performance.now();
    // Every queued message is applied in arrival order; the renderer only keeps references and
    // uploads at render time, so when frames come faster than it draws, the newest per layer wins.
    for (let i = 0; i < receivers.length; i++) {
      const m = classifyInput(receivers[i]);
      if (!m) throw new Error(`receivers got a ${describe(receivers[i])}; expected a VideoFrame, { layer, frame } or a GeometryMessage { layer, data }`);
      if (m.kind === 'frame') {
        const layer = m.layer ?? r.firstImageLayer() ?? 'video';
        r.setImage(layer, m.frame);
      } else {
        r.setGeometry(m.message);
      }
    }
    pollWindow(ctx);
    const minInterval = ctx.params.framerate > 0 ? 1000 / ctx.params.framerate : 0;
    if (s.lastCompute - s.lastRender >= minInterval) {
      draw(ctx, emit);
    } else {
      // Drawn by the event pump when its slot comes (unless a newer compute draws first), carrying
      // the metadata of the inputs it shows: the pump's emits are outside compute and inherit none.
      s.renderPending = true;
      s.pendingMeta = { ...ctx.metadata };
    }
  },

  stop(ctx) {
    const s = ctx.state;
    if (s.timer) clearInterval(s.timer);
    s.timer = null;
    try {
      s.provider?.makeCurrent();
      s.renderer?.destroy();
    } finally {
      s.provider?.destroy();
      s.renderer = null;
      s.provider = null;
    }
  },
});

type Ctx = OperatorContext<HolovizParams> & { state: HolovizState };

function draw(ctx: Ctx, emit: NonNullable<HolovizState['emit']>, meta?: Metadata): void {
  const s = ctx.state;
  const r = s.renderer!;
  s.provider!.makeCurrent();
  r.render();
  if (ctx.params.enable_render_buffer_output) {
    // A new buffer each time: downstream owns what it receives (it may queue or keep it).
    const frame = allocateFrame('rgba', r.width, r.height, performance.now());
    r.readPixels(frame.planes[0].data);
    emit.render_buffer_output(frame, meta);
  }
  s.provider!.present(r.framebuffer, r.width, r.height);
  s.lastRender = performance.now();
  s.renderPending = false;
}

function pollWindow(ctx: Ctx): void {
  const s = ctx.state;
  const provider = s.provider;
  if (!provider) return;
  provider.pollEvents();
  if (!s.closing && provider.shouldClose()) {
    s.closing = true;
    ctx.log.info('window closed: stopping the application');
    ctx.stopApp(`${ctx.name}: window closed`);
  }
}

function flushKeys(s: HolovizState, emit: NonNullable<HolovizState['emit']>): void {
  if (s.keys.length === 0) return;
  for (const k of s.keys) emit.key_events(k);
  s.keys.length = 0;
}

/**
 * The event pump, between computes: window events, keys and a deferred render. It emits through the
 * emitters `start` got, the framework's way to emit outside compute: a key comes from the window, not
 * from any input, so it carries no input's metadata; a deferred render carries that of its compute.
 */
function idle(ctx: Ctx): void {
  const s = ctx.state;
  if (!s.provider || !s.emit) return;
  try {
    pollWindow(ctx);
    flushKeys(s, s.emit);
    const minInterval = ctx.params.framerate > 0 ? 1000 / ctx.params.framerate : 0;
    if (s.renderPending && performance.now() - s.lastRender >= minInterval) draw(ctx, s.emit, s.pendingMeta);
  } catch (err) {
    ctx.log.error(`event loop: ${(err as Error).message}`);
    ctx.stopApp(`${ctx.name} failed: ${(err as Error).message}`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return `object with keys ${Object.keys(v as object).slice(0, 6).join(', ') || '(none)'}`;
}
