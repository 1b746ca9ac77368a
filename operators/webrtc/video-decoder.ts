import { Codec, CodecContext, Frame, Packet } from 'node-av';
import { AV_CODEC_FLAG_LOW_DELAY, AV_PKT_FLAG_KEY, AVERROR_EAGAIN, AVERROR_EOF, type FFDecoderCodec } from 'node-av/constants';
import { PictureConverter, type PictureFormat } from '../media/decoded-picture.ts';
import type { VideoFrame } from '../messages/index.ts';
import type { CodecInfo } from './codecs.ts';
import type { EncodedFrame } from './frame-assembler.ts';

export type OutputFormat = PictureFormat;

export interface DecodedPicture {
  frame: VideoFrame;
  /** Wall time of this frame's decode (send + receive), ms. */
  decodeMs: number;
}

export class DecodeError extends Error {
  constructor(readonly codec: string, readonly code: number, message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/**
 * How many decoded pictures stay valid at once. A VideoFrame's planes are views into a ring of pictures
 * the decoder owns (media/decoded-picture.ts) and stay valid until this many further frames of the same
 * session have been decoded; the memory behind them is kept alive for as long as the VideoFrame is reachable.
 */
export const RING_SIZE = 4;

/** Decoders open on this thread (each thread loads its own copy of this module): leak checks read it. */
let openCount = 0;
export const openDecoders = (): number => openCount;

/**
 * One stream's decoder: node-av's low-level CodecContext (not the Demuxer path, which needs
 * Promise.withResolvers on Node 20, findings trap 3). `sendPacket` is the async call, so the decode
 * itself runs on libuv's thread pool and the event loop keeps reading packets (trap 5); receiving the
 * already-decoded picture is a cheap synchronous call. One thread per decoder and LOW_DELAY: frame
 * threading would hold pictures back a frame or more.
 */
export class VideoDecoder {
  private readonly ctx = new CodecContext();
  private readonly packet = new Packet();
  /** What the decoder hands back; its picture is copied out at once, so one Frame is enough. */
  private readonly frame = new Frame();
  private readonly pictures: PictureConverter;
  private closed = false;
  private busy: Promise<unknown> = Promise.resolve();
  framesDecoded = 0;
  errors = 0;

  constructor(readonly codec: CodecInfo, readonly outputFormat: OutputFormat = 'yuv420p', readonly useAsync = true) {
    const c = Codec.findDecoderByName(codec.decoder as FFDecoderCodec);
    if (!c) throw new Error(`FFmpeg in node-av has no '${codec.decoder}' decoder for ${codec.name}`);
    this.ctx.allocContext3(c);
    this.ctx.threadCount = 1;
    this.ctx.flags = (this.ctx.flags | AV_CODEC_FLAG_LOW_DELAY) as typeof this.ctx.flags;
    const ret = this.ctx.open2Sync(c, null);
    if (ret < 0) throw new DecodeError(codec.name, ret, `cannot open the ${codec.decoder} decoder (error ${ret})`);
    this.pictures = new PictureConverter(outputFormat, RING_SIZE, (message, code) => new DecodeError(codec.name, code, `${codec.name}: ${message} (error ${code})`));
    openCount++;
    this.packet.alloc();
    this.frame.alloc();
  }

  /** Decodes one compressed frame; calls run one after another even if callers overlap. */
  decode(input: EncodedFrame): Promise<DecodedPicture[]> {
    const run = this.busy.then(() => this.decodeNow(input));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async decodeNow(input: EncodedFrame): Promise<DecodedPicture[]> {
    if (this.closed) return [];
    const t0 = performance.now();
    this.packet.data = input.data;
    this.packet.pts = BigInt(input.rtpTimestamp);
    this.packet.flags = (input.keyframe ? AV_PKT_FLAG_KEY : 0) as typeof this.packet.flags;
    const sent = this.useAsync ? await this.ctx.sendPacket(this.packet) : this.ctx.sendPacketSync(this.packet);
    this.packet.unref();
    if (this.closed) return [];
    if (sent < 0 && sent !== AVERROR_EAGAIN) {
      this.errors++;
      throw new DecodeError(this.codec.name, sent, `${this.codec.name} decoder rejected a ${input.keyframe ? 'key' : 'delta'}frame of ${input.data.length} bytes (error ${sent})`);
    }
    const out: DecodedPicture[] = [];
    for (;;) {
      const frame = this.frame;
      const got = this.ctx.receiveFrameSync(frame);
      if (got === AVERROR_EAGAIN || got === AVERROR_EOF) break;
      if (got < 0) {
        this.errors++;
        throw new DecodeError(this.codec.name, got, `${this.codec.name} decoder failed to return a picture (error ${got})`);
      }
      const vf = this.pictures.toVideoFrame(frame, input.rtpTimestamp / 90);
      this.framesDecoded++;
      out.push({ frame: vf, decodeMs: performance.now() - t0 });
    }
    return out;
  }

  /** Drops what the decoder holds (after falling behind); the next frame must be a keyframe. */
  flush(): void {
    if (!this.closed) this.ctx.flushBuffers();
  }

  /**
   * Frees the decoder once no decode is in flight. The ring's pictures are left to the garbage
   * collector so a consumer still holding a VideoFrame never reads freed memory.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.busy;
    openCount--;
    this.ctx.freeContext();
    this.packet.free();
    this.pictures.close();
  }
}
