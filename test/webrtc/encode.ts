import { Codec, CodecContext, Frame, Packet, Rational } from 'node-av';
import { AV_PIX_FMT_YUV420P, AVERROR_EAGAIN, AVERROR_EOF, type FFEncoderCodec } from 'node-av/constants';

/** Encoders in node-av's FFmpeg that produce what a browser would send, per codec. */
export const TEST_ENCODERS = { VP8: 'libvpx', VP9: 'libvpx-vp9', H264: 'libx264', AV1: 'libsvtav1' } as const;

/**
 * A moving test picture: a green background (Y 145, U 54, V 34), a white box that moves 8 px per frame
 * and a gradient band, so decoded pictures can be checked for content, not just counted.
 */
export function paintPattern(frame: Frame, index: number): void {
  const w = frame.width, h = frame.height;
  const [Y, U, V] = frame.data!;
  const [ys, us, vs] = frame.linesize;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) Y[r * ys + c] = r > h - h / 8 ? Math.floor((c / w) * 255) : 145;
  }
  const bx = (index * 8) % Math.max(1, w - w / 4), by = Math.floor(h / 4), bw = Math.floor(w / 4), bh = Math.floor(h / 4);
  for (let r = by; r < by + bh; r++) for (let c = bx; c < bx + bw; c++) Y[r * ys + c] = 235;
  for (let r = 0; r < h >> 1; r++) {
    for (let c = 0; c < w >> 1; c++) { U[r * us + c] = 54; V[r * vs + c] = 34; }
  }
}

/** Encodes `count` pattern frames; returns each access unit with its keyframe flag. */
export function encodePattern(encoder: keyof typeof TEST_ENCODERS | FFEncoderCodec, width: number, height: number, count: number, gop = 30): { data: Buffer; keyframe: boolean }[] {
  const name = (encoder in TEST_ENCODERS ? TEST_ENCODERS[encoder as keyof typeof TEST_ENCODERS] : encoder) as FFEncoderCodec;
  const codec = Codec.findEncoderByName(name);
  if (!codec) throw new Error(`node-av's FFmpeg has no '${name}' encoder`);
  const ctx = new CodecContext();
  ctx.allocContext3(codec);
  ctx.width = width;
  ctx.height = height;
  ctx.pixelFormat = AV_PIX_FMT_YUV420P;
  ctx.timeBase = new Rational(1, 30);
  ctx.framerate = new Rational(30, 1);
  ctx.gopSize = gop;
  ctx.maxBFrames = 0;
  ctx.bitRate = 2_000_000n;
  const opts: Record<string, string> = name === 'libx264' ? { preset: 'ultrafast', tune: 'zerolatency', profile: 'baseline' }
    : name === 'libsvtav1' ? { preset: '12' } : { deadline: 'realtime', 'cpu-used': '8', 'lag-in-frames': '0' };
  // Private options through setOption: passing a Dictionary to open2 crashes node-av 6.1 at exit (double free).
  for (const [k, v] of Object.entries(opts)) ctx.setOption(k, v);
  const ret = ctx.open2Sync(codec, null);
  if (ret < 0) throw new Error(`cannot open the ${name} encoder (error ${ret})`);
  const frame = new Frame();
  frame.alloc();
  frame.format = AV_PIX_FMT_YUV420P;
  frame.width = width;
  frame.height = height;
  frame.allocBuffer();
  const pkt = new Packet();
  pkt.alloc();
  const out: { data: Buffer; keyframe: boolean }[] = [];
  const drain = () => {
    for (;;) {
      const r = ctx.receivePacketSync(pkt);
      if (r === AVERROR_EAGAIN || r === AVERROR_EOF) return;
      if (r < 0) throw new Error(`${name} encoder failed (error ${r})`);
      out.push({ data: Buffer.from(pkt.data!), keyframe: pkt.isKeyframe });
      pkt.unref();
    }
  };
  for (let i = 0; i < count; i++) {
    frame.makeWritable();
    paintPattern(frame, i);
    frame.pts = BigInt(i);
    ctx.sendFrameSync(frame);
    drain();
  }
  ctx.sendFrameSync(null);
  drain();
  frame.free();
  pkt.free();
  ctx.freeContext();
  return out;
}
