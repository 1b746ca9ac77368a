import { Codec, CodecContext, Frame, Packet, Rational } from 'node-av';
import { AV_CODEC_FLAG_GLOBAL_HEADER, AV_PICTURE_TYPE_I, AV_PICTURE_TYPE_NONE, AV_PIX_FMT_YUV420P, AVERROR_EAGAIN, AVERROR_EOF, type FFEncoderCodec } from 'node-av/constants';

/** Encoders in node-av's FFmpeg that produce what a browser would send, per codec. */
export const TEST_ENCODERS = { VP8: 'libvpx', VP9: 'libvpx-vp9', H264: 'libx264', AV1: 'libsvtav1' } as const;

/** The test pattern's colours: a green background, a white moving box, a grey ramp at the bottom. */
export const PATTERN = { y: 145, u: 54, v: 34, box: 235 } as const;

/**
 * A moving test picture: a green background, a white box (a quarter of the width and height) that moves
 * 8 px per frame along y = h/4, and a luma ramp in the bottom eighth, so decoded pictures can be checked
 * for content, not just counted.
 */
export function paintPattern(frame: Frame, index: number): void {
  const w = frame.width, h = frame.height;
  const [Y, U, V] = frame.data!;
  const [ys, us, vs] = frame.linesize;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) Y[r * ys + c] = r >= h - (h >> 3) ? Math.floor((c / w) * 255) : PATTERN.y;
  }
  const { x, y, w: bw, h: bh } = patternBox(w, h, index);
  for (let r = y; r < y + bh; r++) for (let c = x; c < x + bw; c++) Y[r * ys + c] = PATTERN.box;
  for (let r = 0; r < h >> 1; r++) {
    for (let c = 0; c < w >> 1; c++) { U[r * us + c] = PATTERN.u; V[r * vs + c] = PATTERN.v; }
  }
}

export function patternBox(w: number, h: number, index: number): { x: number; y: number; w: number; h: number } {
  const bw = w >> 2, bh = h >> 2;
  return { x: (index * 8) % (w - bw), y: h >> 2, w: bw, h: bh };
}

/** A low-level node-av encoder for the pattern (options through setOption: a Dictionary passed to open2 crashes node-av 6.1 at exit). */
export class PatternEncoder {
  readonly ctx = new CodecContext();
  private readonly frame = new Frame();
  private readonly pkt = new Packet();
  private index = 0;
  private readonly paint: (frame: Frame, index: number) => void;

  constructor(encoder: keyof typeof TEST_ENCODERS | FFEncoderCodec, readonly width: number, readonly height: number, opts: { gop?: number; bitrate?: number; globalHeader?: boolean; paint?: (frame: Frame, index: number) => void } = {}) {
    this.paint = opts.paint ?? paintPattern;
    const name = (encoder in TEST_ENCODERS ? TEST_ENCODERS[encoder as keyof typeof TEST_ENCODERS] : encoder) as FFEncoderCodec;
    const codec = Codec.findEncoderByName(name);
    if (!codec) throw new Error(`node-av's FFmpeg has no '${name}' encoder`);
    const ctx = this.ctx;
    ctx.allocContext3(codec);
    ctx.width = width;
    ctx.height = height;
    ctx.pixelFormat = AV_PIX_FMT_YUV420P;
    ctx.timeBase = new Rational(1, 30);
    ctx.framerate = new Rational(30, 1);
    ctx.gopSize = opts.gop ?? 30;
    ctx.maxBFrames = 0;
    ctx.bitRate = BigInt(opts.bitrate ?? 2_000_000);
    const options: Record<string, string> = name === 'libx264' ? { preset: 'ultrafast', tune: 'zerolatency', profile: 'baseline' }
      : name === 'libsvtav1' ? { preset: '12' } : { deadline: 'realtime', 'cpu-used': '8', 'lag-in-frames': '0' };
    if (opts.globalHeader) {
      // Muxers like WHIP read SPS/PPS from extradata; keep them in-band too so a receiver can join.
      ctx.flags = (ctx.flags | AV_CODEC_FLAG_GLOBAL_HEADER) as typeof ctx.flags;
      if (name === 'libx264') options['x264-params'] = 'repeat-headers=1';
    }
    for (const [k, v] of Object.entries(options)) ctx.setOption(k, v);
    const ret = ctx.open2Sync(codec, null);
    if (ret < 0) throw new Error(`cannot open the ${name} encoder (error ${ret})`);
    this.frame.alloc();
    this.frame.format = AV_PIX_FMT_YUV420P;
    this.frame.width = width;
    this.frame.height = height;
    this.frame.allocBuffer();
    this.pkt.alloc();
  }

  /** Encodes the next pattern picture (or flushes); `keyframe` forces one, as a sender does on a PLI. */
  next(flush = false, keyframe = false): { data: Buffer; keyframe: boolean; pts: bigint }[] {
    if (flush) {
      this.ctx.sendFrameSync(null);
    } else {
      this.frame.makeWritable();
      this.paint(this.frame, this.index);
      this.frame.pictType = keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
      this.frame.pts = BigInt(this.index++);
      this.ctx.sendFrameSync(this.frame);
    }
    const out: { data: Buffer; keyframe: boolean; pts: bigint }[] = [];
    for (;;) {
      const r = this.ctx.receivePacketSync(this.pkt);
      if (r === AVERROR_EAGAIN || r === AVERROR_EOF) break;
      if (r < 0) throw new Error(`encoder failed (error ${r})`);
      out.push({ data: Buffer.from(this.pkt.data!), keyframe: this.pkt.isKeyframe, pts: this.pkt.pts });
      this.pkt.unref();
    }
    return out;
  }

  close(): void {
    this.frame.free();
    this.pkt.free();
    this.ctx.freeContext();
  }
}

/** Encodes `count` pattern frames; returns each access unit with its keyframe flag. */
export function encodePattern(encoder: keyof typeof TEST_ENCODERS | FFEncoderCodec, width: number, height: number, count: number, gop = 30): { data: Buffer; keyframe: boolean }[] {
  const enc = new PatternEncoder(encoder, width, height, { gop });
  const out: { data: Buffer; keyframe: boolean }[] = [];
  for (let i = 0; i < count; i++) out.push(...enc.next());
  out.push(...enc.next(true));
  enc.close();
  return out;
}
