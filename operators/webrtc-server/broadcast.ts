import { H264Packetizer, Vp8Packetizer, type RtpPacket } from 'werift';
import type { EncodedFrame, VideoFrame } from '../messages/index.ts';
import type { SendCodecName } from './send-codecs.ts';
import { SoftwareVideoEncoder } from '../media/video-encoder.ts';
import type { Viewer } from './viewer.ts';

export interface BroadcastOptions {
  codec: SendCodecName;
  fps: number;
  maxBitrateBps: number;
  minBitrateBps: number;
  keyframeInterval: number;
}

export interface BroadcastStats {
  codec: SendCodecName;
  /** Encoders open now: 0 while nobody watches, 1 while anyone does, however many they are. */
  encoders: number;
  /** Times an encoder was opened (first viewer, a new picture size, a VP8 rate change). */
  encoderOpens: number;
  /** Pictures and encoded frames that reached the stream, watched or not (a page can tell a stream is fed). */
  framesIn: number;
  framesEncoded: number;
  framesForwarded: number;
  /** Frames that arrived while no viewer was connected: dropped without encoding. */
  framesUnwatched: number;
  keyframesSent: number;
  bitrateBps: number;
  width: number;
  height: number;
  encodeMsMean: number;
}

/** A VP8 rate must move by this much before the encoder is reopened for it (a reopen costs a keyframe). */
const VP8_REOPEN_RATIO = 1.3;
const VP8_REOPEN_MIN_INTERVAL_MS = 3000;

/**
 * One stream, encoded once and sent to every viewer: the encoder (opened while someone watches),
 * the packetizer (one sequence-number space, shared), and the rules that decide keyframes and bitrate.
 * Frames that are already encoded (EncodedFrame) are packetized as they are, without decoding.
 */
export class Broadcast {
  private encoder: SoftwareVideoEncoder | null = null;
  /** Frames given to the encoder since it opened: its pts (counted in frames). */
  private encoderPts = 0;
  private packetizer: H264Packetizer | Vp8Packetizer;
  private keyframeWanted = false;
  private lastReopen = 0;
  /** Viewers connected but not yet sent a keyframe: they get nothing until one comes. */
  private readonly waitingForKeyframe = new Set<Viewer>();
  readonly stats: BroadcastStats;
  private encodeMsTotal = 0;

  constructor(readonly options: BroadcastOptions, private readonly viewers: () => Iterable<Viewer>) {
    this.packetizer = options.codec === 'H264' ? new H264Packetizer({ inputFormat: 'annexb' }) : new Vp8Packetizer();
    this.stats = {
      codec: options.codec, encoders: 0, encoderOpens: 0, framesIn: 0, framesEncoded: 0, framesForwarded: 0, framesUnwatched: 0, keyframesSent: 0,
      bitrateBps: options.maxBitrateBps, width: 0, height: 0, encodeMsMean: 0,
    };
  }

  /** A viewer connected (needs a keyframe to start) or asked for one (PLI, FIR, an unanswerable NACK). */
  requestKeyframe(viewer: Viewer, joined: boolean): void {
    if (joined) this.waitingForKeyframe.add(viewer);
    this.keyframeWanted = true;
  }

  viewerLeft(viewer: Viewer): void {
    this.waitingForKeyframe.delete(viewer);
    if (!this.watched()) this.closeEncoder();
  }

  private connectedViewers(): Viewer[] {
    return [...this.viewers()].filter((v) => v.connected && !v.closed);
  }

  private watched(): boolean {
    return this.connectedViewers().length > 0;
  }

  /** Encodes a picture and sends it to every connected viewer; nothing at all when nobody watches. */
  async encode(frame: VideoFrame): Promise<void> {
    this.stats.framesIn++;
    const viewers = this.connectedViewers();
    if (viewers.length === 0) { this.stats.framesUnwatched++; this.closeEncoder(); return; }
    const encoder = this.encoderFor(frame, viewers);
    const keyframe = this.keyframeWanted;
    this.keyframeWanted = false;
    const t0 = performance.now();
    const units = await encoder.encode(frame, this.encoderPts++, keyframe);
    this.encodeMsTotal += performance.now() - t0;
    for (const u of units) {
      this.stats.framesEncoded++;
      this.send(u.data, u.keyframe);
    }
    this.stats.encodeMsMean = this.stats.framesEncoded ? this.encodeMsTotal / this.stats.framesEncoded : 0;
  }

  /**
   * Relays a frame that is already encoded. A keyframe request cannot travel upstream from here (the
   * source may be a browser camera behind another operator, or a file), so a viewer that joins or loses
   * a packet waits for the source's next keyframe; keep the source's keyframe interval short.
   */
  forward(frame: EncodedFrame): void {
    if (frame.codec !== this.options.codec) throw new Error(`an encoded ${frame.codec} frame reached a ${this.options.codec} stream (set codec: ${frame.codec})`);
    this.stats.framesIn++;
    if (!this.watched()) { this.stats.framesUnwatched++; return; }
    this.keyframeWanted = false;
    this.stats.framesForwarded++;
    if (frame.width && frame.height) { this.stats.width = frame.width; this.stats.height = frame.height; }
    this.send(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength), frame.keyframe);
  }

  private send(data: Buffer, keyframe: boolean): void {
    const packets: RtpPacket[] = this.packetizer.packetize(data, rtpClock());
    if (keyframe) this.stats.keyframesSent++;
    for (const v of this.connectedViewers()) {
      if (this.waitingForKeyframe.has(v)) {
        if (!keyframe) continue;
        this.waitingForKeyframe.delete(v);
      }
      v.send(packets);
    }
  }

  /**
   * The encoder for this picture: opened on the first watched frame or a new size, its rate the lowest
   * of the viewers' REMB estimates (one encoding serves all; the slowest link sets the pace).
   */
  private encoderFor(frame: VideoFrame, viewers: Viewer[]): SoftwareVideoEncoder {
    const o = this.options;
    const estimates = viewers.map((v) => v.rembBps).filter((b) => b > 0);
    const target = Math.max(o.minBitrateBps, Math.min(o.maxBitrateBps, estimates.length ? Math.min(...estimates) : o.maxBitrateBps));
    let enc = this.encoder;
    if (enc && (enc.settings.width !== frame.width || enc.settings.height !== frame.height)) enc = this.closeEncoder();
    if (enc && target !== enc.settings.bitrateBps) {
      if (enc.followsBitrateLive) enc.setBitrate(target);
      else {
        const ratio = target / enc.settings.bitrateBps;
        if ((ratio > VP8_REOPEN_RATIO || ratio < 1 / VP8_REOPEN_RATIO) && performance.now() - this.lastReopen > VP8_REOPEN_MIN_INTERVAL_MS) enc = this.closeEncoder();
      }
    }
    if (!enc) {
      enc = new SoftwareVideoEncoder({ codec: o.codec, use: 'streaming', width: frame.width, height: frame.height, fps: o.fps, bitrateBps: target, keyframeInterval: o.keyframeInterval, ptsUnit: 'frame' });
      this.encoder = enc;
      this.encoderPts = 0;
      this.lastReopen = performance.now();
      this.stats.encoders = 1;
      this.stats.encoderOpens++;
      this.stats.width = frame.width;
      this.stats.height = frame.height;
    }
    this.stats.bitrateBps = enc.settings.bitrateBps;
    return enc;
  }

  private closeEncoder(): null {
    this.encoder?.close();
    this.encoder = null;
    this.stats.encoders = 0;
    return null;
  }

  close(): void {
    this.closeEncoder();
    this.waitingForKeyframe.clear();
  }
}

/** RTP's 90 kHz video clock from this process's monotonic clock (frames are sent as they are made). */
function rtpClock(): number {
  return Math.floor(performance.now() * 90) >>> 0;
}
